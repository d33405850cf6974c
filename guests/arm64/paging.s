// arch: arm64
//
// paging: the guest turns on its OWN stage-1 translation, on top of nestvm's stage-2.
//
// nestvm starts an arm64 guest at EL1 with the MMU off (guest-virtual = guest-physical). This
// guest builds 4-level stage-1 tables for TTBR0_EL1 (4 KiB granule, T0SZ = 16: 48-bit VA), sets
// MAIR_EL1, TCR_EL1 and TTBR0_EL1, then SCTLR_EL1.M, so that from then on every guest address is
// translated twice: by its own tables (VA -> IPA, the guest-physical address) and by the nested
// stage-2 tables (IPA -> host-physical): the two-dimensional walk.
//
// Layout (all guest-physical; the tables are inside the identity map, so the guest can edit
// them with the MMU on):
//
//     0x4030_0000  L0      L0[0] -> L1                     L0[254] -> HL1 (the high address)
//     0x4030_1000  L1      L1[0] -> L2DEV (VA 0-1 GiB)     L1[1] -> L2RAM (VA 1-2 GiB)
//     0x4030_2000  L2DEV   L2DEV[72] = 2 MiB Device block at 0x0900_0000 (the PL011)
//     0x4030_3000  L2RAM   L2RAM[0] -> L3A, [1] -> L3B, [2] = 2 MiB Normal block at 0x4040_0000
//     0x4030_4000  L3A, L3B  4 KiB pages identity-mapping [0x4000_0000, 0x4040_0000)
//     0x4030_6000  HL1, HL2, HL3  for 0x7f00_0000_0000: HL3[0] -> the buffer page,
//                          HL3[1] -> the PL011 (a second, high alias of the UART)
//     0x4040_0000  BUF     physical buffer (reached through the 2 MiB identity block)
//
// Every leaf has AF = 1 (TCR_EL1.HA = 0: the guest manages the Access flag itself, as an ARMv8.0
// CPU such as QEMU's cortex-a57 requires). MAIR_EL1 attr0 = 0xff (Normal write-back), attr1 =
// 0x00 (Device-nGnRnE). The Device mappings are UXN and PXN.
//
// The test: write a text through the high virtual address 0x7f00_0000_0000, read it back through
// the identity mapping of the buffer. Then edit the LIVE high entry to point at BUF + 0x1000,
// invalidate (DSB, TLBI VMALLE1, DSB, ISB, and a TTBR0_EL1 reload: nestvm's rule for edited live
// entries), write again and check that the new page changed and the old did not. The last line
// is printed through the high alias of the UART. PSCI SYSTEM_OFF ends the run with status 0.
//
// The image must be loaded inside the identity map (below 0x4040_0000; the default is).

.equ L0, 0x40300000
.equ L1, 0x40301000
.equ L2DEV, 0x40302000
.equ L2RAM, 0x40303000
.equ L3A, 0x40304000                    // L3B follows at 0x4030_5000
.equ HL1, 0x40306000
.equ HL2, 0x40307000
.equ HL3, 0x40308000
.equ BUF, 0x40400000

start:
        adr     x0, start
        mov     sp, x0                  // stack grows down from just below the image
        movz    x19, #0x0900, lsl #16   // x19 = PL011 base for putc

        // 1. clear the 9 table pages (0x4030_0000 .. 0x4030_9000), 16 bytes a step
        ldr     x0, =L0
        mov     x1, #2304
zero:
        stp     xzr, xzr, [x0], #16
        subs    x1, x1, #1
        b.ne    zero

        // 2. L3A and L3B (adjacent, 1024 entries): 4 KiB pages for [0x4000_0000, 0x4040_0000)
        //    page descriptor 0x703 = AF | SH inner | AP 00 (EL1 RW) | AttrIndx 0 | page
        ldr     x0, =L3A
        ldr     x2, =0x40000703
        mov     x1, #1024
fill_l3:
        str     x2, [x0], #8
        add     x2, x2, #1, lsl #12     // next 4 KiB frame
        subs    x1, x1, #1
        b.ne    fill_l3

        // 3. the upper levels of the identity map (table descriptors: address | 0b11)
        ldr     x0, =L0
        ldr     x1, =L1
        orr     x1, x1, #3
        str     x1, [x0]                // L0[0] -> L1
        ldr     x0, =L1
        ldr     x1, =L2DEV
        orr     x1, x1, #3
        str     x1, [x0]                // L1[0] -> L2DEV
        ldr     x1, =L2RAM
        orr     x1, x1, #3
        str     x1, [x0, #8]            // L1[1] -> L2RAM
        ldr     x0, =L2DEV
        ldr     x1, =0x0060000009000405 // UXN | PXN | 0x0900_0000 | AF | AttrIndx 1 | block
        str     x1, [x0, #0x240]        // L2DEV[72]: the PL011's 2 MiB
        ldr     x0, =L2RAM
        ldr     x1, =L3A
        orr     x1, x1, #3
        str     x1, [x0]                // L2RAM[0] -> L3A
        ldr     x1, =L3A + 0x1000
        orr     x1, x1, #3
        str     x1, [x0, #8]            // L2RAM[1] -> L3B
        ldr     x1, =0x40400701         // 0x4040_0000 | AF | SH inner | AttrIndx 0 | block
        str     x1, [x0, #16]           // L2RAM[2]: 2 MiB Normal block over the buffer

        // 4. the high address 0x7f00_0000_0000: L0[254] -> HL1 -> HL2 -> HL3
        ldr     x0, =L0
        ldr     x1, =HL1
        orr     x1, x1, #3
        str     x1, [x0, #0x7f0]        // L0[254] (254 * 8 = 0x7f0)
        ldr     x0, =HL1
        ldr     x1, =HL2
        orr     x1, x1, #3
        str     x1, [x0]
        ldr     x0, =HL2
        ldr     x1, =HL3
        orr     x1, x1, #3
        str     x1, [x0]
        ldr     x0, =HL3
        ldr     x1, =0x40400703
        str     x1, [x0]                // HL3[0] -> BUF
        ldr     x1, =0x0060000009000407 // UXN | PXN | 0x0900_0000 | AF | AttrIndx 1 | page
        str     x1, [x0, #8]            // HL3[1] -> the PL011 (VA 0x7f00_0000_1000)

        // 5. MMU on: MAIR, TCR (T0SZ 16, 4 KiB granule, inner-shareable WB walks, EPD1, 40-bit
        //    IPS), TTBR0, invalidate, then SCTLR_EL1.M | C | I
        ldr     x0, =0xff
        msr     mair_el1, x0
        ldr     x0, =0x200903510
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

        adr     x0, msg_on
        bl      puts
        mrs     x0, ttbr0_el1
        bl      puthex
        bl      newline

        // 6. write through the high mapping, read back through the identity mapping
        adr     x1, text1
        movz    x2, #0x7f00, lsl #32
        bl      strcpy
        adr     x0, msg_read1
        bl      puts
        ldr     x0, =BUF
        bl      puts
        bl      newline

        // 7. edit the live high entry to point at the next page, then invalidate
        ldr     x0, =HL3
        ldr     x1, =0x40401703
        str     x1, [x0]
        dsb     ishst
        tlbi    vmalle1
        dsb     ish
        mrs     x0, ttbr0_el1
        msr     ttbr0_el1, x0           // TTBR0 reload too (nestvm's rule for live edits)
        isb
        adr     x1, text2
        movz    x2, #0x7f00, lsl #32
        bl      strcpy
        adr     x0, msg_read2
        bl      puts
        ldr     x0, =BUF + 0x1000
        bl      puts
        bl      newline
        adr     x0, msg_still
        bl      puts
        ldr     x0, =BUF
        bl      puts
        bl      newline

        // 8. the last line goes out through the high alias of the UART
        movz    x19, #0x7f00, lsl #32
        add     x19, x19, #1, lsl #12   // x19 = 0x7f00_0000_1000
        adr     x0, msg_alias
        bl      puts

        movz    w0, #0x0008
        movk    w0, #0x8400, lsl #16    // w0 = 0x84000008, PSCI SYSTEM_OFF
        hvc     #0                      // to the hypervisor: power off, status 0
hang:
        wfi                             // not reached
        b       hang

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

// strcpy: copy the NUL-terminated text at x1 to x2, NUL included (clobbers w0, x1, x2)
strcpy:
        ldrb    w0, [x1], #1
        strb    w0, [x2], #1
        cbnz    w0, strcpy
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

digits:    .ascii  "0123456789abcdef"
msg_on:    .asciz  "arm64 guest paging on, TTBR0_EL1 = "
text1:     .asciz  "paging works"
text2:     .asciz  "remapped"
msg_read1: .asciz  "wrote via 0x7f0000000000, read via 0x40400000: "
msg_read2: .asciz  "after remap + TLB invalidate, read via 0x40401000: "
msg_still: .asciz  "0x40400000 still holds: "
msg_alias: .asciz  "this line went out through the PL011 alias at 0x7f0000001000\n"
