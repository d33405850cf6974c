/*
 * crt0 for the x86-64 c-hello guest: the first code that runs (64-bit mode, paging off).
 *   1. rsp = __stack_top (the linker script reserves the stack after .bss)
 *   2. zero .bss, [__bss_start, __bss_end), with rep stosb
 *   3. call main()
 *   4. hlt: with nothing to wake the CPU, the run ends with status 0
 */
        .intel_syntax noprefix
        .section .text.boot, "ax"
        .global _start
_start:
        lea     rsp, [rip + __stack_top]
        cld
        lea     rdi, [rip + __bss_start]
        lea     rcx, [rip + __bss_end]
        sub     rcx, rdi
        xor     eax, eax
        rep stosb
        call    main
1:      hlt
        jmp     1b
