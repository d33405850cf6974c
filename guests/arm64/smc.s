// arch: arm64
//
// smc: self-modifying code, for the instruction counters.
//
// The loop's first instruction is rewritten after every round: `add x5, x5, #1` and `b .+8`
// (which skips the second add and so ends the block one instruction early) take turns, so the
// block at the loop's head changes its length and its instruction count. The engine
// retranslates it after each write. Then the guest prints a line on the PL011 UART and powers
// off through PSCI (status 0).

start:
        adr     x2, patch               // the word the loop rewrites
        ldr     w4, [x2]                // its first form: add x5, x5, #1
        movz    w6, #0x0002
        movk    w6, #0x1400, lsl #16    // its second form: b .+8
        eor     w7, w4, w6              // xor of the two forms
        movz    x1, #9                  // rounds
again:
patch:  add     x5, x5, #1
        add     x5, x5, #1
        subs    x1, x1, #1
        b.eq    done
        ldr     w8, [x2]
        eor     w8, w8, w7              // the other form
        str     w8, [x2]
        dc      cvau, x2                // make the new word visible to instruction fetch
        dsb     ish
        ic      ivau, x2
        dsb     ish
        isb
        b       again
done:
        movz    x1, #0x0900, lsl #16    // PL011 base
        adr     x2, msg
next:
        ldrb    w0, [x2], #1
        cbz     w0, off
        str     w0, [x1]                // UARTDR (nestvm's UART never fills)
        b       next
off:
        movz    w0, #0x0008
        movk    w0, #0x8400, lsl #16    // PSCI SYSTEM_OFF
        hvc     #0
hang:
        wfi
        b       hang

msg:    .asciz  "self-modifying code ran 9 rounds\n"
