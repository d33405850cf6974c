// arch: arm64
//
// memtouch: touch PAGES pages of guest RAM, one byte each, then read them back.
//
// Every page of the buffer is fresh guest-physical memory, so each first write is a stage-2
// fault that the VMM resolves by mapping a host frame (watch them in the TUI). Page i gets the
// byte (i * 37 + 11) & 0xff at its first address; the read pass checks every byte and adds them
// up. The result goes to the PL011 UART, then the guest leaves through semihosting SYS_EXIT
// (`hlt #0xf000`, w0 = 0x18, x1 -> { ADP_Stopped_ApplicationExit = 0x20026, exit code }):
//
//     all bytes read back as written  -> exit code 0
//     some byte differs               -> exit code 1
//
// PAGES: how many 4 KiB pages to touch (default 256 = 1 MiB). BUFFER + PAGES * 4096 must stay
// inside guest RAM (0x4000_0000 + 16 MiB by default, --mem to change). Changing either changes
// the output, so guests/expected/memtouch-arm64.txt only holds for the defaults.

.equ PAGES, 256
.equ BUFFER, 0x40200000                 // first page: RAM base + 2 MiB, clear of the image
.equ PAGE_SIZE, 4096
.equ SYS_EXIT, 0x18

start:
        adr     x0, start
        mov     sp, x0                  // stack grows down from just below the image
        movz    x19, #0x0900, lsl #16   // x19 = PL011 base for putc
        adr     x0, banner
        bl      puts
        ldr     x0, =PAGES
        mov     x1, #8
        bl      puthex
        adr     x0, from
        bl      puts
        ldr     x0, =BUFFER
        mov     x1, #8
        bl      puthex
        mov     w0, #10
        bl      putc

        // write pass: page i <- (i * 37 + 11) & 0xff
        ldr     x9, =BUFFER
        mov     x10, #0                 // i
        mov     x11, #37
write_page:
        madd    x12, x10, x11, xzr
        add     x12, x12, #11
        strb    w12, [x9]               // first touch of this page: a stage-2 fault
        add     x9, x9, #PAGE_SIZE
        add     x10, x10, #1
        cmp     x10, #PAGES
        b.lo    write_page

        // read pass: check each byte, sum them into x20
        ldr     x9, =BUFFER
        mov     x10, #0
        mov     x20, #0
read_page:
        madd    x12, x10, x11, xzr
        add     x12, x12, #11
        and     x12, x12, #0xff
        ldrb    w13, [x9]
        cmp     x13, x12
        b.ne    mismatch
        add     x20, x20, x13
        add     x9, x9, #PAGE_SIZE
        add     x10, x10, #1
        cmp     x10, #PAGES
        b.lo    read_page

        adr     x0, good
        bl      puts
        mov     x0, x20
        mov     x1, #8
        bl      puthex
        mov     w0, #10
        bl      putc
        adr     x1, exit_ok
        b       leave

mismatch:
        mov     x20, x10
        adr     x0, bad
        bl      puts
        mov     x0, x20
        mov     x1, #8
        bl      puthex
        mov     w0, #10
        bl      putc
        adr     x1, exit_bad

leave:
        mov     w0, #SYS_EXIT           // semihosting call number
        hlt     #0xf000                 // semihosting trap (A64)
hang:
        wfi                             // not reached
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

// puthex: send the low x1 (1..16) hex digits of x0, most significant first. Clobbers x0..x7.
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

        .balign 8
exit_ok:   .quad 0x20026, 0             // ADP_Stopped_ApplicationExit, exit code 0
exit_bad:  .quad 0x20026, 1             // ADP_Stopped_ApplicationExit, exit code 1
hexdigits: .ascii "0123456789abcdef"
banner:    .asciz "memtouch (arm64): pages 0x"
from:      .asciz " from 0x"
good:      .asciz "read back ok, checksum 0x"
bad:       .asciz "MISMATCH at page 0x"
        .balign 8                       // the literal pool (ldr =) follows
