/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The first bytes Xen runs of our crash image.  State on arrival
 * (xen/arch/x86/x86_64/kexec_reloc.S): 64-bit long mode, interrupts off,
 * IDT base 0 / limit 0, CR4 = PAE, CR3 identity-maps only the image's
 * segments, RSP on a tiny stack in Xen's control page, and CS / GDTR still
 * naming Xen's GDT, which is no longer mapped.  Every other register is
 * undefined.  Any exception from here on is a triple fault.
 *
 * Only RIP-relative references: the image runs wherever the loader put it
 * (the build links it at two bases and refuses any byte of difference).
 */

#define BOOT_CS         0x10    /* Linux's __BOOT_CS */
#define BOOT_DS         0x18    /* Linux's __BOOT_DS */
#define STACK_SIZE      8192
#define NR_VECTORS      32      /* exceptions only: interrupts stay masked */
#define VECTOR_STUB_SIZE 16

        .code64
        .section .text.entry, "ax", @progbits
        .globl  purgatory_start
        .type   purgatory_start, @function
purgatory_start:
        cli
        cld
        /* Our stack before anything else: in long mode SS's descriptor is not
         * consulted for stack accesses, so this works on Xen's stale SS. */
        leaq    purgatory_stack_top(%rip), %rsp
        pushq   $2                      /* RFLAGS: only the reserved bit; IF, DF, TF, AC, NT off */
        popfq

        /* lgdt wants {u16 limit; u64 base}: build it on the stack with the
         * GDT's run-time address (we cannot know it at link time). */
        leaq    purgatory_gdt(%rip), %rax
        subq    $16, %rsp
        movw    $(purgatory_gdt_end - purgatory_gdt - 1), (%rsp)
        movq    %rax, 2(%rsp)
        lgdt    (%rsp)
        addq    $16, %rsp

        /* Reload CS from our GDT with a far return (no far jmp to a 64-bit
         * target exists without an absolute operand). */
        pushq   $BOOT_CS
        leaq    .Lon_boot_cs(%rip), %rax
        pushq   %rax
        lretq
.Lon_boot_cs:
        movl    $BOOT_DS, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    %eax, %ss
        xorl    %eax, %eax
        movl    %eax, %fs
        movl    %eax, %gs

        /* Our own IDT for the time we run: Xen re-enabled NMIs just before
         * jumping here, and with its empty IDT a stray NMI during a long
         * hash would be a triple fault; and an exception (a region that is
         * not mapped: #PF) is reported on the serial line before the reset
         * instead of vanishing.  Gates are built at run time: handler
         * addresses are only known here. */
        movb    $0, purgatory_in_exception(%rip)
        leaq    purgatory_idt(%rip), %rdi
        leaq    purgatory_vectors(%rip), %rdx
        xorl    %ecx, %ecx
1:      movq    %rdx, %rax
        movw    %ax, 0(%rdi)            /* offset 15:0 */
        movw    $BOOT_CS, 2(%rdi)
        movw    $0x8e00, 4(%rdi)        /* present, DPL 0, 64-bit interrupt gate, no IST */
        shrq    $16, %rax
        movw    %ax, 6(%rdi)            /* offset 31:16 */
        shrq    $16, %rax
        movl    %eax, 8(%rdi)           /* offset 63:32 */
        movl    $0, 12(%rdi)
        addq    $16, %rdi
        addq    $VECTOR_STUB_SIZE, %rdx
        incl    %ecx
        cmpl    $NR_VECTORS, %ecx
        jb      1b
        leaq    purgatory_idt(%rip), %rax
        subq    $16, %rsp
        movw    $(NR_VECTORS * 16 - 1), (%rsp)
        movq    %rax, 2(%rsp)
        lidt    (%rsp)
        addq    $16, %rsp

        leaq    purgatory_params(%rip), %rdi
        call    purgatory_main          /* RSP is 16-byte aligned here, as the ABI wants */
        testl   %eax, %eax
        jnz     purgatory_reset

        /* Hand over the IDT the way Xen and Linux's own kexec do: limit 0.
         * Our table lives in memory the capture kernel may reuse. */
        pushq   $0
        pushq   $0
        lidt    (%rsp)
        addq    $16, %rsp

        /* Linux 64-bit boot protocol: %rsi = boot_params, interrupts off,
         * CS/DS as above.  The entry goes on the stack so that every other
         * general register can be zero; RSP stays valid (our stack) for
         * kernels that push before setting up their own. */
        pushq   purgatory_params+0(%rip)        /* kernel_entry */
        movq    purgatory_params+8(%rip), %rsi  /* boot_params */
        xorl    %eax, %eax
        xorl    %ebx, %ebx
        xorl    %ecx, %ecx
        xorl    %edx, %edx
        xorl    %edi, %edi
        xorl    %ebp, %ebp
        xorl    %r8d, %r8d
        xorl    %r9d, %r9d
        xorl    %r10d, %r10d
        xorl    %r11d, %r11d
        xorl    %r12d, %r12d
        xorl    %r13d, %r13d
        xorl    %r14d, %r14d
        xorl    %r15d, %r15d
        ret
        .size   purgatory_start, . - purgatory_start

/*
 * The image is not what the loader stored: memory was overwritten, so the
 * kernel must not run.  Reset instead of spinning forever (kexec-tools'
 * purgatory spins, leaving a dead host until someone walks up to it).
 * Three ways, each tried only if the previous one left us running.
 */
        .globl  purgatory_reset
        .type   purgatory_reset, @function
purgatory_reset:
        cli
        /* 1. The PCI reset control register (Intel ICH/PCH, PIIX, most AMD
         *    FCHs): select the hard reset type (bit 1), then trigger it with
         *    RST_CPU (bit 2); a full reset (bit 3) if that was ignored. */
        movw    $0xcf9, %dx
        movb    $0x02, %al
        outb    %al, %dx
        call    io_delay
        movb    $0x06, %al
        outb    %al, %dx
        call    io_delay
        movb    $0x0e, %al
        outb    %al, %dx
        call    io_delay

        /* 2. The keyboard controller's pulse-reset command, once its input
         *    buffer is empty (bounded: no controller reads 0xff forever). */
        movl    $100000, %ecx
1:      inb     $0x64, %al
        testb   $0x02, %al
        jz      2f
        decl    %ecx
        jnz     1b
2:      movb    $0xfe, %al
        outb    %al, $0x64
        call    io_delay

        /* 3. Triple fault: an IDT with limit 0 turns int3 into #GP, then #DF,
         *    then shutdown, which every chipset turns into a reset. */
        pushq   $0
        pushq   $0
        lidt    (%rsp)
        int3
        /* Not reached: a triple fault never returns. */
3:      hlt
        jmp     3b
        .size   purgatory_reset, . - purgatory_reset

/*
 * Exception entry points, one 16-byte stub per vector.  NMI returns at once;
 * every other vector pushes a zero where the CPU pushes no error code, then
 * its number, and joins purgatory_exception_entry.
 */
        .balign VECTOR_STUB_SIZE
purgatory_vectors:
        .irp    vec, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, \
                     16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
        .if \vec == 2
        iretq
        .else
        .if !(\vec == 8 || \vec == 10 || \vec == 11 || \vec == 12 || \vec == 13 || \vec == 14 || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
        pushq   $0
        .endif
        pushq   $\vec
        jmp     purgatory_exception_entry
        .endif
        /* Pads to the next slot; gas refuses (".org backwards") a stub that outgrew it. */
        .org    purgatory_vectors + (\vec + 1) * VECTOR_STUB_SIZE, 0xcc
        .endr

/* Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS. */
purgatory_exception_entry:
        /* A fault while reporting a fault: no second report, just reset. */
        cmpb    $0, purgatory_in_exception(%rip)
        jne     purgatory_reset
        movb    $1, purgatory_in_exception(%rip)
        movq    0(%rsp), %rdi           /* vector */
        movq    8(%rsp), %rsi           /* error code */
        movq    16(%rsp), %rdx          /* faulting RIP */
        movq    %cr2, %rcx
        leaq    purgatory_params(%rip), %r8
        leaq    purgatory_start(%rip), %r9
        andq    $-16, %rsp
        call    purgatory_exception
        jmp     purgatory_reset

/* ~0.1 s on real hardware: each write to the POST port takes about 1 us. */
        .type   io_delay, @function
io_delay:
        movl    $100000, %ecx
1:      outb    %al, $0x80
        decl    %ecx
        jnz     1b
        ret
        .size   io_delay, . - io_delay

/*
 * Linux's boot GDT layout: null, unused, 0x10 flat 64-bit code, 0x18 flat
 * data.  The accessed bits are preset so the CPU never writes to the table.
 */
        .section .rodata.gdt, "a", @progbits
        .balign 16
purgatory_gdt:
        .quad   0
        .quad   0
        .quad   0x00af9b000000ffff      /* 0x10: code, L=1, DPL 0, present */
        .quad   0x00cf93000000ffff      /* 0x18: data, writable, 4 GiB, present */
purgatory_gdt_end:

/* Patched by xkd_purgatory_build(); the magic lets it check the offset. */
        .section .data.params, "aw", @progbits
        .balign 8
        .ascii  "XKDPURG1"
        .globl  purgatory_params
        .type   purgatory_params, @object
purgatory_params:
        .fill   312, 1, 0
        .size   purgatory_params, . - purgatory_params

/* In the segment's zeroed tail (mem_size > image_size), not in the image. */
        .section .bss.stack, "aw", @nobits
        .balign 16
purgatory_stack:
        .skip   STACK_SIZE
purgatory_stack_top:

        .section .bss.idt, "aw", @nobits
        .balign 16
purgatory_idt:
        .skip   NR_VECTORS * 16
purgatory_in_exception:
        .skip   1

        .section .note.GNU-stack, "", @progbits
