// arch: arm64
//
// pattern: fill PAGES pages of guest RAM with a pattern, word by word, then verify every word.
//
// Made to run with less host memory than guest memory (`--host-mem` below `--mem`): every page
// of the buffer is written whole, so under overcommit most of them lose their frame to reclaim
// before the verify pass reads them back, and come back from the host's swap store. Each 8-byte
// word holds its own guest address times an odd constant, so a page that came back in the wrong
// place, or stale, or zero, cannot pass. The verify pass also adds the words up; the sum does not
// depend on how much host memory there was, so the console is the same squeezed or not.
//
//     every word reads back as written  -> "verified", PSCI SYSTEM_OFF, exit status 0
//     some word differs                 -> "MISMATCH at 0x<address>", semihosting SYS_EXIT 1
//
// PAGING = 1 turns on the guest's own stage-1 translation first (4 KiB granule, T0SZ 16): the
// 16 MiB of RAM from 0x4000_0000 are identity-mapped with 2 MiB Normal blocks and the PL011's
// 2 MiB with a Device block (tables at 0x4030_0000), so the same addresses now go through the
// two-dimensional walk, and the guest's table pages can be evicted too.
//
// PAGES: how many 4 KiB pages (default 300). BUFFER + PAGES * 4096 must stay inside guest RAM
// (0x4000_0000 + 16 MiB by default): at most 3072 pages. Console: the PL011.

.equ PAGES, 300
.equ PAGING, 0
.equ BUFFER, 0x40400000                 // RAM base + 4 MiB: clear of the image and the tables
.equ L0, 0x40300000
.equ L1, 0x40301000
.equ L2DEV, 0x40302000
.equ L2RAM, 0x40303000
.equ SYS_EXIT, 0x18

start:
        adr     x0, start
        mov     sp, x0                  // stack grows down from just below the image
        movz    x19, #0x0900, lsl #16   // x19 = PL011 base for putc
        mov     x0, #PAGING
        cbz     x0, paging_done
        bl      paging_on
paging_done:
        adr     x0, banner
        bl      puts
        ldr     x0, =PAGES
        bl      puthex
        adr     x0, msg_paging
        bl      puts
        mov     x0, #PAGING
        bl      puthex
        bl      newline

        // write pass: word at address a <- a * K
        ldr     x20, =0x9e3779b97f4a7c15
        ldr     x9, =BUFFER
        ldr     x21, =PAGES
        add     x21, x9, x21, lsl #12   // x21 = end of the buffer
write_word:
        mul     x10, x9, x20
        str     x10, [x9], #8
        cmp     x9, x21
        b.lo    write_word

        // verify pass: compare every word, sum them into x22
        ldr     x9, =BUFFER
        mov     x22, #0
verify_word:
        mul     x10, x9, x20
        ldr     x11, [x9]
        cmp     x11, x10
        b.ne    mismatch
        add     x22, x22, x10
        add     x9, x9, #8
        cmp     x9, x21
        b.lo    verify_word

        adr     x0, msg_ok
        bl      puts
        mov     x0, x22
        bl      puthex
        bl      newline
        movz    w0, #0x0008
        movk    w0, #0x8400, lsl #16    // w0 = 0x84000008, PSCI SYSTEM_OFF
        hvc     #0                      // to the hypervisor: power off, status 0
hang:
        wfi                             // not reached
        b       hang

mismatch:
        mov     x23, x9
        adr     x0, msg_bad
        bl      puts
        mov     x0, x23
        bl      puthex
        bl      newline
        adr     x1, exit_bad
        mov     w0, #SYS_EXIT           // semihosting call number
        hlt     #0xf000                 // semihosting trap (A64)
        b       hang

// paging_on: identity-map the PL011's 2 MiB (Device) and [0x4000_0000, +16 MiB) (Normal) with
// 2 MiB blocks, then MMU on. Clobbers x0-x2.
paging_on:
        ldr     x0, =L0
        mov     x1, #1024               // clear L0, L1, L2DEV, L2RAM: 4 pages, 16 bytes a step
zero:
        stp     xzr, xzr, [x0], #16
        subs    x1, x1, #1
        b.ne    zero
        ldr     x0, =L0
        ldr     x1, =L1 + 3
        str     x1, [x0]                // L0[0] -> L1
        ldr     x0, =L1
        ldr     x1, =L2DEV + 3
        str     x1, [x0]                // L1[0] -> L2DEV (VA 0-1 GiB)
        ldr     x1, =L2RAM + 3
        str     x1, [x0, #8]            // L1[1] -> L2RAM (VA 1-2 GiB)
        ldr     x0, =L2DEV
        ldr     x1, =0x0060000009000405 // UXN | PXN | 0x0900_0000 | AF | AttrIndx 1 | block
        str     x1, [x0, #0x240]        // L2DEV[72]: the PL011's 2 MiB
        ldr     x0, =L2RAM
        ldr     x1, =0x40000701         // 0x4000_0000 | AF | SH inner | AttrIndx 0 | block
        mov     x2, #8                  // L2RAM[0..7]: 16 MiB
fill_l2:
        str     x1, [x0], #8
        add     x1, x1, #0x200000
        subs    x2, x2, #1
        b.ne    fill_l2
        mov     x0, #0xff               // MAIR_EL1: attr0 Normal WB (0xff), attr1 Device (0x00)
        msr     mair_el1, x0
        ldr     x0, =0x200903510        // T0SZ 16, 4 KiB granule, WB walks, EPD1, 40-bit IPS
        msr     tcr_el1, x0
        ldr     x0, =L0
        msr     ttbr0_el1, x0
        isb
        tlbi    vmalle1
        dsb     ish
        isb
        mrs     x0, sctlr_el1
        orr     x0, x0, #1              // M: stage-1 translation on
        orr     x0, x0, #4              // C
        orr     x0, x0, #0x1000         // I
        msr     sctlr_el1, x0
        isb                             // from here on, addresses are guest-virtual
        ret

// putc: w0 -> the PL011 at x19, waiting while TXFF (flag register bit 5) is set (clobbers w7)
putc:
        ldr     w7, [x19, #0x18]
        tbnz    w7, #5, putc
        str     w0, [x19]
        ret

newline:
        mov     w0, #10
        b       putc

// puts: print the NUL-terminated text at x0 (clobbers x0, x7, x8)
puts:
        stp     x29, x30, [sp, #-16]!
        mov     x8, x0
puts_next:
        ldrb    w0, [x8], #1
        cbz     w0, puts_done
        bl      putc
        b       puts_next
puts_done:
        ldp     x29, x30, [sp], #16
        ret

// puthex: print x0 as 0x<hex> without leading zeros (clobbers x0, x3-x7)
puthex:
        stp     x29, x30, [sp, #-16]!
        mov     x3, x0
        mov     w0, #0x30               // '0'
        bl      putc
        mov     w0, #0x78               // 'x'
        bl      putc
        mov     x4, #60                 // shift of the top nibble
        mov     x5, #0                  // becomes 1 at the first digit printed
hex_next:
        lsr     x0, x3, x4
        and     x0, x0, #0xf
        cbnz    x5, hex_emit
        cbnz    x0, hex_emit
        cbz     x4, hex_emit            // always print the last digit
        b       hex_skip
hex_emit:
        mov     x5, #1
        adr     x6, digits
        ldrb    w0, [x6, x0]
        bl      putc
hex_skip:
        subs    x4, x4, #4
        b.ge    hex_next
        ldp     x29, x30, [sp], #16
        ret

        .balign 8
exit_bad:   .quad 0x20026, 1            // ADP_Stopped_ApplicationExit, exit code 1
digits:     .ascii  "0123456789abcdef"
banner:     .asciz  "pattern (arm64): pages "
msg_paging: .asciz  ", guest paging "
msg_ok:     .asciz  "verified, sum "
msg_bad:    .asciz  "MISMATCH at "
        .balign 8                       // the literal pool (ldr =) follows
