// arch: arm64
//
// loop: a compute-bound guest. It runs ITERATIONS steps of a 64-bit linear congruential
// generator, folds every state into a checksum, prints the result on the PL011 UART and powers
// off through PSCI.
//
//     x    = x * 6364136223846793005 + 1442695040888963407     (mod 2^64), from x = 1
//     sum += x ^ (x >> 31)                                      (mod 2^64), from sum = 0
//
// guests/x86_64/loop.s computes the same sum, so both print the same checksum.
// Expected output: guests/expected/loop-arm64.txt. Exit: PSCI SYSTEM_OFF, status 0.

.equ ITERATIONS, 3000000

start:
        adr     x0, start
        mov     sp, x0                  // stack grows down from just below the image
        movz    x19, #0x0900, lsl #16   // x19 = PL011 base for putc
        adr     x0, banner
        bl      puts

        ldr     x8, =6364136223846793005 // multiplier (from the literal pool)
        ldr     x9, =1442695040888963407 // increment
        mov     x0, #1                  // x
        mov     x20, #0                 // sum
        ldr     w4, =ITERATIONS
step:
        madd    x0, x0, x8, x9          // x = x * a + c
        eor     x2, x0, x0, lsr #31     // x ^ (x >> 31)
        add     x20, x20, x2
        subs    w4, w4, #1
        b.ne    step

        adr     x0, result
        bl      puts
        mov     x0, x20
        mov     x1, #16
        bl      puthex
        mov     w0, #10
        bl      putc

        movz    w0, #0x0008
        movk    w0, #0x8400, lsl #16    // PSCI SYSTEM_OFF
        hvc     #0
hang:
        wfi
        b       hang

// putc: send w0 through the PL011 at x19 once the transmit FIFO has room. Clobbers w3.
putc:
        ldr     w3, [x19, #0x18]        // UARTFR
        tbnz    w3, #5, putc            // TXFF: FIFO full
        str     w0, [x19]               // UARTDR
        ret

// puts: send the NUL-terminated text at x0. Clobbers x0, x5, w3.
puts:
        stp     x29, x30, [sp, #-16]!
        mov     x5, x0
puts_next:
        ldrb    w0, [x5], #1
        cbz     w0, puts_done
        bl      putc
        b       puts_next
puts_done:
        ldp     x29, x30, [sp], #16
        ret

// puthex: send the low x1 (1..16) hex digits of x0, most significant first.
// Clobbers x0..x7.
puthex:
        stp     x29, x30, [sp, #-16]!
        mov     x6, x0                  // the value
        lsl     x7, x1, #2              // x7 = 4 * digits; each step first takes 4 off
        adr     x5, hexdigits
puthex_digit:
        sub     x7, x7, #4
        lsr     x2, x6, x7
        and     x2, x2, #0xf
        ldrb    w0, [x5, x2]
        bl      putc
        cbnz    x7, puthex_digit
        ldp     x29, x30, [sp], #16
        ret

hexdigits: .ascii "0123456789abcdef"
banner:    .asciz "loop (arm64): 3000000 LCG steps\n"
result:    .asciz "checksum 0x"
        .balign 8                       // the literal pool (ldr =) follows
