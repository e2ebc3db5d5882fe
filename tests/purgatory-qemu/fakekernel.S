/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stand-in for Linux's 64-bit entry (load address + 0x200): checks the
 * state the purgatory promises, prints PASS or FAIL <letter> on COM1, and
 * exits QEMU through isa-debug-exit (0x10 -> exit 33 pass, 0x11 -> 35 fail).
 */
#define BOOTP_DEST 0xB000000

        .code64
        .section .text
        .fill   0x200, 1, 0x90          /* the 32-bit entry a real bzImage has here */
        .globl  entry64
entry64:
        /* Registers first, before we clobber any: rax is checked alone,
         * then carries the failure letter. */
        testq   %rax, %rax
        jz      1f
        movb    $'A', %al
        jmp     fail
1:      movb    $'O', %al
        testq   %r8, %r8
        jnz     fail
        movb    $'B', %al
        testq   %rbx, %rbx
        jnz     fail
        movb    $'C', %al
        testq   %rcx, %rcx
        jnz     fail
        movb    $'D', %al
        testq   %rdx, %rdx
        jnz     fail
        movb    $'E', %al
        testq   %rdi, %rdi
        jnz     fail
        movb    $'F', %al
        testq   %rbp, %rbp
        jnz     fail
        movb    $'G', %al
        testq   %r9, %r9
        jnz     fail
        movb    $'H', %al
        orq     %r10, %r9
        orq     %r11, %r9
        orq     %r12, %r9
        orq     %r13, %r9
        orq     %r14, %r9
        orq     %r15, %r9
        jnz     fail
        movb    $'I', %al
        cmpq    $BOOTP_DEST, %rsi
        jne     fail
        /* Segments: Linux's __BOOT_CS / __BOOT_DS. */
        movb    $'J', %al
        movw    %cs, %bx
        cmpw    $0x10, %bx
        jne     fail
        movb    $'K', %al
        movw    %ds, %bx
        cmpw    $0x18, %bx
        jne     fail
        movw    %es, %bx
        cmpw    $0x18, %bx
        jne     fail
        movw    %ss, %bx
        cmpw    $0x18, %bx
        jne     fail
        movb    $'L', %al
        movw    %fs, %bx
        movw    %gs, %cx
        orw     %cx, %bx
        jnz     fail
        /* Flags: interrupts off, direction clear (the harness left DF set). */
        movb    $'M', %al
        pushfq                          /* the stub promised a valid stack */
        popq    %rbx
        testq   $0x600, %rbx
        jnz     fail
        /* The GDT must be a real, mapped one with a 64-bit code descriptor at 0x10. */
        movb    $'N', %al
        subq    $16, %rsp
        sgdt    (%rsp)
        movq    2(%rsp), %rbx
        addq    $16, %rsp
        movabsq $0x0000008000000000, %rdx      /* the harness's unmapped GDT */
        cmpq    %rdx, %rbx
        je      fail
        movq    0x10(%rbx), %rcx
        movq    $0x00af9b000000ffff, %rdx
        cmpq    %rdx, %rcx
        jne     fail

        leaq    msg_pass(%rip), %rsi
        call    puts
        movb    $0x10, %al
        outb    %al, $0xf4
        hlt

fail:
        movb    %al, letter(%rip)
        leaq    msg_fail(%rip), %rsi
        call    puts
        movb    $0x11, %al
        outb    %al, $0xf4
        hlt

puts:
        movw    $0x3f8, %dx
1:      lodsb
        testb   %al, %al
        jz      2f
        outb    %al, %dx
        jmp     1b
2:      ret

        .section .data
msg_pass:
        .asciz  "fakekernel: PASS: CS 0x10, DS/ES/SS 0x18, FS/GS 0, rsi = boot_params, GPRs 0, IF/DF clear\r\n"
msg_fail:
        .ascii  "fakekernel: FAIL "
letter: .asciz  "?\r\n"
