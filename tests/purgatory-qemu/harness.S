/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A multiboot "Xen" for testing the purgatory under plain QEMU: copy the
 * three modules (stub image, fake kernel, fake boot_params) to the addresses
 * the params name, enter long mode on an identity map, then leave the CPU
 * the way Xen's kexec_reloc.S does — GDTR pointing at unmapped memory, IDT
 * limit 0, garbage in every register, DF set — and jump to the stub.
 * Linked at 1 MiB, flat; loaded with QEMU's multiboot a.out kludge.
 */

#define STUB_DEST       0xC000000
#define KERNEL_DEST     0x8000000
#define BOOTP_DEST      0xB000000
#define STUB_ZERO       0x10000         /* Xen zeroes the segment tail: mem_size <= this */

        .section .text
        .code32
        .globl  _start
_start:
        jmp     start32

        .balign 4
mb_header:
        .long   0x1badb002                              /* magic */
        .long   0x00010003                              /* page-aligned modules, mem info, a.out kludge */
        .long   -(0x1badb002 + 0x00010003)
        .long   mb_header                               /* header_addr */
        .long   _start                                  /* load_addr */
        .long   0                                       /* load_end_addr: whole file */
        .long   __bss_end                               /* bss_end_addr */
        .long   start32                                 /* entry_addr */

start32:
        movl    $stack32_top, %esp
        movl    %ebx, %ebp                              /* multiboot info */
        movl    $msg_start, %esi
        call    puts32

        cmpl    $3, 20(%ebp)                            /* mods_count */
        jb      die32
        movl    24(%ebp), %ebx                          /* mods_addr */

        /* QEMU puts modules right after us: they must end below every
         * destination, or copying one would overwrite another (the stub
         * then rightly reports a mismatch, but the test would be wrong). */
        movl    $KERNEL_DEST, %eax
        cmpl    %eax, 4(%ebx)
        ja      die32
        cmpl    %eax, 20(%ebx)
        ja      die32
        cmpl    %eax, 36(%ebx)
        ja      die32

        /* The stub segment: zero its whole footprint first, as Xen does. */
        movl    $STUB_DEST, %edi
        movl    $STUB_ZERO, %ecx
        xorl    %eax, %eax
        cld
        rep stosb
        movl    $STUB_DEST, %edi
        call    copy_module
        addl    $16, %ebx
        movl    $KERNEL_DEST, %edi
        call    copy_module
        addl    $16, %ebx
        movl    $BOOTP_DEST, %edi
        call    copy_module

        /* Identity map of the first 1 GiB with 2 MiB pages. */
        movl    $pd, %edi
        xorl    %eax, %eax
        movl    $0x83, %eax                             /* present, writable, 2 MiB */
        movl    $512, %ecx
1:      movl    %eax, (%edi)
        movl    $0, 4(%edi)
        addl    $0x200000, %eax
        addl    $8, %edi
        loop    1b
        movl    $pd, %eax
        orl     $3, %eax
        movl    %eax, pdpt
        movl    $pdpt, %eax
        orl     $3, %eax
        movl    %eax, pml4

        movl    %cr4, %eax
        orl     $0x20, %eax                             /* PAE */
        movl    %eax, %cr4
        movl    $pml4, %eax
        movl    %eax, %cr3
        movl    $0xc0000080, %ecx                       /* EFER.LME */
        rdmsr
        orl     $0x100, %eax
        wrmsr
        movl    %cr0, %eax
        orl     $0x80000001, %eax                       /* PG | PE */
        movl    %eax, %cr0
        lgdt    gdt_ptr
        ljmp    $0x08, $start64

/* %ebx -> multiboot module {start, end, string, reserved}; copy to %edi. */
copy_module:
        movl    0(%ebx), %esi
        movl    4(%ebx), %ecx
        subl    %esi, %ecx
        rep movsb
        ret

puts32:
        lodsb
        testb   %al, %al
        jz      2f
        movw    $0x3f8, %dx
        outb    %al, %dx
        jmp     puts32
2:      ret

die32:
        movl    $msg_nomods, %esi
        call    puts32
        movb    $0x21, %al                              /* isa-debug-exit: QEMU exits 67 */
        outb    %al, $0xf4
        hlt

        .code64
start64:
        /* Now look like Xen's kexec_reloc.S at `jmp *%rbp`. */
        lidt    zero_idt(%rip)
        lgdt    bogus_gdt_ptr(%rip)                     /* GDT "no longer mapped" */
        movq    $stack64_top, %rsp                      /* a small valid stack, not the stub's */
        movq    $0xdeadbeefdeadbeef, %rax
        movq    %rax, %rbx
        movq    %rax, %rcx
        movq    %rax, %rdx
        movq    %rax, %rsi
        movq    %rax, %rdi
        movq    %rax, %r8
        movq    %rax, %r9
        movq    %rax, %r10
        movq    %rax, %r11
        movq    %rax, %r12
        movq    %rax, %r13
        movq    %rax, %r14
        movq    %rax, %r15
        std
        movq    $STUB_DEST, %rbp
        jmp     *%rbp

        .section .rodata
        .balign 8
gdt:
        .quad   0
        .quad   0x00af9b000000ffff                      /* 0x08: our 64-bit code, NOT Linux's 0x10 */
        .quad   0x00cf93000000ffff                      /* 0x10: data */
gdt_end:
gdt_ptr:
        .word   gdt_end - gdt - 1
        .long   gdt
        .balign 8
bogus_gdt_ptr:
        .word   0xffff
        .quad   0x0000008000000000                      /* 512 GiB: nothing is mapped there */
        .balign 8
zero_idt:
        .word   0
        .quad   0
msg_start:
        .asciz  "harness: copying modules, entering long mode, jumping to the purgatory\r\n"
msg_nomods:
        .asciz  "harness: need 3 modules (stub, kernel, boot_params) ending below 128 MiB\r\n"

        .section .bss
        .balign 4096
pml4:   .skip   4096
pdpt:   .skip   4096
pd:     .skip   4096
        .skip   4096
stack32_top:
        .skip   4096
stack64_top:
        .globl  __bss_end
__bss_end:
