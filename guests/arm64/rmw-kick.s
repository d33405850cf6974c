// arch: arm64
//
// rmw-kick: read-modify-writes whose store is the access that leaves the engine (for the counters).
//
// The arm64 twin of guests/x86_64/rmw-kick.s. PAGES pages of a buffer are kept identical (word 0
// a round counter, word 1 zero), so the merge scanner (`--merge`, a short `--merge-interval`)
// folds them onto one shared frame, write withheld, while the guest waits between rounds. Each
// round reads word 0 of every page (a read-only TLB entry) and then changes it with one
// instruction whose store's fill is the nested write fault that breaks the share and kicks the
// vCPU out of the engine mid-instruction. An instruction the kick lets finish and then begins
// again applies twice. The engine's arm64 CPU has no LSE atomics (ldadd and stadd are undefined
// instructions there), and base A64 has no single-instruction read-modify-write, so each round's
// instruction is a store whose base-register writeback makes it unrepeatable; each stores
// round + 1 to word 0:
//
//   round 0  str  x13, [x0], #8            (post-index: run twice, it writes word 1 too)
//   round 1  stp  x13, xzr, [x0], #16      (post-index pair: run twice, it writes word 2 too)
//   round 2  str  x13, [x0, #8]!           (pre-index from page - 8: run twice, word 1 too)
//
// The guest checks every page after every round (word 0 = round + 1, words 1 and 2 = 0) and the
// base register each instruction leaves. Without --merge the console is the same:
//
//     all rounds exact   -> "rmw-kick: 3 rounds exact", PSCI SYSTEM_OFF, status 0
//     something differs  -> "MISMATCH round <r>", semihosting exit 1
//
// WAIT: iterations of the wait loop before each round (two instructions each). Console: PL011.

.equ PAGES, 32
.equ WAIT, 20000
.equ ROUNDS, 3
.equ BUFFER, 0x40400000
.equ SYS_EXIT, 0x18

start:
        adr     x0, start
        mov     sp, x0
        movz    x19, #0x0900, lsl #16   // x19 = PL011 base for putc
        ldr     x9, =BUFFER
        mov     x10, #PAGES
init:
        stp     xzr, xzr, [x9]          // every page: words 0-2 = 0, a frame of its own
        str     xzr, [x9, #16]
        add     x9, x9, #4096
        subs    x10, x10, #1
        b.ne    init
        mov     x12, #0                 // x12 = round
round:
        ldr     x10, =WAIT              // let the scanner merge the pages
wait:
        subs    x10, x10, #1
        b.ne    wait
        add     x13, x12, #1            // x13 = what every word 0 holds after this round
        ldr     x20, =BUFFER
        mov     x14, #PAGES
page:
        ldr     x2, [x20]               // a read first: the page's TLB entry is read-only
        mov     x0, x20
        cmp     x12, #1
        b.lo    op_str_post
        b.eq    op_stp_post
        sub     x0, x0, #8
        str     x13, [x0, #8]!          // pre-index: run twice, it writes word 1 too
        cmp     x0, x20
        b.ne    mismatch
        b       page_done
op_str_post:
        str     x13, [x0], #8           // post-index: run twice, it writes word 1 too
        add     x3, x20, #8
        b       writeback_check
op_stp_post:
        stp     x13, xzr, [x0], #16     // post-index pair: run twice, it writes word 2 too
        add     x3, x20, #16
writeback_check:
        cmp     x0, x3                  // the base register moved once, exactly
        b.ne    mismatch
page_done:
        add     x20, x20, #4096
        subs    x14, x14, #1
        b.ne    page
        ldr     x0, =BUFFER             // check every page
        mov     x14, #PAGES
check:
        ldp     x2, x3, [x0]
        ldr     x4, [x0, #16]
        cmp     x2, x13
        b.ne    mismatch
        add     x0, x0, #8
        orr     x3, x3, x4
        cbnz    x3, mismatch            // word 1 or word 2 written: a store ran twice
        add     x0, x0, #4088
        subs    x14, x14, #1
        b.ne    check
        add     x12, x12, #1
        cmp     x12, #ROUNDS
        b.lo    round
        adr     x0, msg_ok
        bl      say
        ldr     w0, =0x84000008         // PSCI SYSTEM_OFF: power off, status 0
        hvc     #0
        b       .                       // not reached

mismatch:
        adr     x0, msg_bad
        bl      say
        add     w1, w12, #0x30          // the round as one digit, a newline, NUL: on the stack
        mov     w2, #10
        strb    w1, [sp, #-16]!
        strb    w2, [sp, #1]
        strb    wzr, [sp, #2]
        mov     x0, sp
        bl      say
        adr     x1, exit_bad
        mov     w0, #SYS_EXIT           // semihosting call number
        hlt     #0xf000                 // semihosting trap (A64)
        b       .

// say: the NUL-terminated text at x0 to the PL011 (x19), polling TXFF (clobbers x0, x1, x7)
say:
        ldrb    w1, [x0], #1
        cbz     w1, said
say_wait:
        ldr     w7, [x19, #0x18]
        tbnz    w7, #5, say_wait
        str     w1, [x19]
        b       say
said:
        ret

        .balign 8
exit_bad:   .quad 0x20026, 1            // ADP_Stopped_ApplicationExit, exit code 1
msg_ok:     .asciz  "rmw-kick: 3 rounds exact\n"
msg_bad:    .asciz  "MISMATCH round "
        .balign 8                       // the literal pool (ldr =) follows
