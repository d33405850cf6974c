// arch: arm64
//
// dma: drive the nestvm-dma engine (MMIO at guest-physical 0x0910_0000, see guests/README.md).
//
// The engine reads and writes guest memory itself, by guest-physical address, through page holds
// on the VMM's "devices" client: watch the 'hold' and 'release' events, and the dirty pages the
// writes leave behind, in the TUI or a --trace. Steps (the same as guests/x86_64/dma.s):
//
//   1. FILL  LEN bytes at BUF_A with 0x5a            (BUF_A starts mid-page: 4 pages are held)
//   2. the CPU stamps one byte every 0x400 bytes of BUF_A: byte i gets (i * 37 + 11) & 0xff
//   3. COPY  BUF_A -> BUF_B, LEN bytes               (4 source + 4 destination holds, one chain)
//   4. the CPU compares BUF_B with BUF_A byte by byte and adds BUF_B up
//   5. SUM   BUF_B on the engine: its RESULT must equal the CPU's sum
//   6. COPY  into a hole (nothing mapped) and into the engine's own page: STATUS shows the error
//      bit and the cause (0x06 hole, 0x0a device), DONE stays 0, FAULT names the page
//
// Output on the PL011 UART; the guest powers off with PSCI SYSTEM_OFF (status 0), after "ok" or
// "MISMATCH". Changing the constants changes the output (guests/expected/dma-arm64.txt).
// QEMU has no nestvm-dma, so this sample runs on nestvm only.

.equ R_ID, 0x00                         // nestvm-dma registers (64-bit each)
.equ R_SRC, 0x08
.equ R_DST, 0x10
.equ R_LEN, 0x18
.equ R_VALUE, 0x20
.equ R_OP, 0x28                         // writing it runs the operation
.equ R_STATUS, 0x30
.equ R_DONE, 0x38
.equ R_RESULT, 0x40
.equ R_FAULT, 0x48
.equ R_HOLDS, 0x50
.equ OP_COPY, 1
.equ OP_FILL, 2
.equ OP_SUM, 3

.equ BUF_A, 0x40200800                  // RAM base + 2 MiB + 2 KiB: clear of the image
.equ BUF_B, 0x40300400
.equ LEN, 0x3000
.equ STAMPS, 12                         // LEN / 0x400
.equ HOLE, 0x80000000                   // 2 GiB: above guest RAM, nothing mapped

start:
        adr     x0, start
        mov     sp, x0                  // stack grows down from just below the image
        movz    x19, #0x0900, lsl #16   // x19 = PL011 base for putc
        movz    x20, #0x0910, lsl #16   // x20 = the engine, 0x0910_0000
        adr     x0, banner
        ldr     x8, [x20, #R_ID]
        mov     x9, #8
        bl      field
        bl      newline

        // 1. fill
        ldr     x0, =BUF_A
        str     x0, [x20, #R_DST]
        mov     x0, #LEN
        str     x0, [x20, #R_LEN]
        mov     x0, #0x5a
        str     x0, [x20, #R_VALUE]
        mov     x0, #OP_FILL
        str     x0, [x20, #R_OP]
        adr     x0, t_fill
        bl      puts
        bl      report
        bl      newline

        // 2. stamps
        ldr     x10, =BUF_A
        mov     x11, #0                 // i
        mov     x12, #37
stamp:
        madd    x13, x11, x12, xzr
        add     x13, x13, #11
        strb    w13, [x10]
        add     x10, x10, #0x400
        add     x11, x11, #1
        cmp     x11, #STAMPS
        b.lo    stamp

        // 3. copy A -> B
        ldr     x0, =BUF_A
        str     x0, [x20, #R_SRC]
        ldr     x0, =BUF_B
        str     x0, [x20, #R_DST]
        mov     x0, #OP_COPY
        str     x0, [x20, #R_OP]
        adr     x0, t_copy
        bl      puts
        bl      report
        adr     x0, t_sum
        ldr     x8, [x20, #R_RESULT]
        mov     x9, #8
        bl      field
        bl      newline

        // 4. the CPU reads B back, compares it with A, adds it up (x21); x22 counts mismatches
        ldr     x10, =BUF_A
        ldr     x11, =BUF_B
        mov     x12, #0                 // offset
        mov     x21, #0
        mov     x22, #0
readback:
        ldrb    w13, [x11, x12]
        ldrb    w14, [x10, x12]
        cmp     w13, w14
        cinc    x22, x22, ne
        add     x21, x21, x13
        add     x12, x12, #1
        cmp     x12, #LEN
        b.lo    readback
        adr     x0, t_cpu
        mov     x8, x21
        mov     x9, #8
        bl      field
        bl      newline

        // 5. the engine adds B up
        ldr     x0, =BUF_B
        str     x0, [x20, #R_SRC]
        mov     x0, #OP_SUM
        str     x0, [x20, #R_OP]
        adr     x0, t_dsum
        ldr     x8, [x20, #R_STATUS]
        mov     x9, #2
        bl      field
        adr     x0, t_sum
        ldr     x8, [x20, #R_RESULT]
        mov     x9, #8
        bl      field
        bl      newline
        ldr     x0, [x20, #R_RESULT]
        cmp     x0, x21
        cinc    x22, x22, ne

        // 6. errors: a copy into a hole, then into the engine's own page
        ldr     x0, =BUF_A
        str     x0, [x20, #R_SRC]
        ldr     x0, =HOLE
        str     x0, [x20, #R_DST]
        mov     x0, #OP_COPY
        str     x0, [x20, #R_OP]
        adr     x0, t_hole
        bl      puts
        bl      report_fault
        str     x20, [x20, #R_DST]
        mov     x0, #OP_COPY
        str     x0, [x20, #R_OP]
        adr     x0, t_dev
        bl      puts
        bl      report_fault

        adr     x0, t_ok
        cbz     x22, verdict
        adr     x0, t_bad
verdict:
        bl      puts
        movz    w0, #0x0008
        movk    w0, #0x8400, lsl #16    // w0 = 0x84000008, PSCI SYSTEM_OFF
        hvc     #0                      // power off, status 0
hang:
        wfi                             // not reached
        b       hang

// report: " status 0x.. done 0x.... holds 0x.." of the last operation. Clobbers x0..x9.
report:
        stp     x29, x30, [sp, #-16]!
        adr     x0, t_status
        ldr     x8, [x20, #R_STATUS]
        mov     x9, #2
        bl      field
        adr     x0, t_done
        ldr     x8, [x20, #R_DONE]
        mov     x9, #4
        bl      field
        adr     x0, t_holds
        ldr     x8, [x20, #R_HOLDS]
        mov     x9, #2
        bl      field
        ldp     x29, x30, [sp], #16
        ret

// report_fault: " status 0x.. done 0x.... fault 0x........" and a newline. Clobbers x0..x9.
report_fault:
        stp     x29, x30, [sp, #-16]!
        adr     x0, t_status
        ldr     x8, [x20, #R_STATUS]
        mov     x9, #2
        bl      field
        adr     x0, t_done
        ldr     x8, [x20, #R_DONE]
        mov     x9, #4
        bl      field
        adr     x0, t_fault
        ldr     x8, [x20, #R_FAULT]
        mov     x9, #8
        bl      field
        bl      newline
        ldp     x29, x30, [sp], #16
        ret

// field: the text at x0, then the low x9 hex digits of x8. Clobbers x0..x7.
field:
        stp     x29, x30, [sp, #-16]!
        bl      puts
        mov     x0, x8
        mov     x1, x9
        bl      puthex
        ldp     x29, x30, [sp], #16
        ret

// newline: send '\n'. Clobbers w0, w3.
newline:
        mov     w0, #10
        b       putc

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

hexdigits: .ascii "0123456789abcdef"
banner:    .asciz "nestvm-dma (arm64) at 0x09100000: id 0x"
t_fill:    .asciz "fill 0x3000 bytes of 0x5a at 0x40200800:"
t_copy:    .asciz "copy to 0x40300400:"
t_cpu:     .asciz "cpu read back: sum 0x"
t_dsum:    .asciz "dma sum: status 0x"
t_hole:    .asciz "copy to a hole at 0x80000000:"
t_dev:     .asciz "copy to the dma page:"
t_status:  .asciz " status 0x"
t_done:    .asciz " done 0x"
t_holds:   .asciz " holds 0x"
t_sum:     .asciz " sum 0x"
t_fault:   .asciz " fault 0x"
t_ok:      .asciz "ok\n"
t_bad:     .asciz "MISMATCH\n"
        .balign 8                       // the literal pool (ldr =) follows
