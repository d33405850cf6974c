/*
 * crt0 for the arm64 c-hello guest: the first code that runs (at EL1, MMU off).
 *   1. sp = __stack_top (the linker script reserves the stack after .bss)
 *   2. zero .bss, [__bss_start, __bss_end), 8 bytes at a time (both are 8-aligned)
 *   3. call main()
 *   4. power off through PSCI SYSTEM_OFF (hvc #0, w0 = 0x84000008): status 0
 */
        .section .text.boot, "ax"
        .global _start
_start:
        ldr     x0, =__stack_top
        mov     sp, x0
        ldr     x1, =__bss_start
        ldr     x2, =__bss_end
1:      cmp     x1, x2
        b.hs    2f
        str     xzr, [x1], #8
        b       1b
2:      bl      main
        movz    w0, #0x0008
        movk    w0, #0x8400, lsl #16
        hvc     #0
3:      wfi
        b       3b
