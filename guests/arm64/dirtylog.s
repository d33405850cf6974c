// arch: arm64
//
// dirtylog: a dirty-log workload in the style of KVM's dirty_log_test. It never stops by itself:
// run it with an instruction limit (--max-insns) and harvest the dirty log between slices.
//
// Iteration n = 1, 2, 3, ... picks a page of the test region with a 64-bit linear congruential
// generator and writes n (8 bytes, little-endian) at the start of that page:
//
//     x    = x * 6364136223846793005 + 1442695040888963407     (mod 2^64), from x = SEED
//     page = (x >> 33) & (PAGES - 1)
//     [REGION + page * 4096] <- n
//
// The iteration number lives in x19, where the host can read it between slices. The store comes
// before the increment, so at any instruction boundary every value below x19 has been stored,
// x19 itself may have been, and nothing above it. A host can replay the generator to know which
// page each iteration wrote (test/emulator/nested/dirtylog.test.ts does). Console: one banner line.
//
// PAGES (a power of two) and REGION must keep the region inside guest RAM
// (0x4000_0000 + 16 MiB by default).

.equ PAGES, 1024                        // 4 MiB of test region
.equ REGION, 0x40400000                 // RAM base + 4 MiB, clear of the image
.equ SEED, 1

start:
        movz    x1, #0x0900, lsl #16    // PL011 base
        adr     x2, banner
print:
        ldrb    w0, [x2], #1
        cbz     w0, begin
wait:
        ldr     w3, [x1, #0x18]         // UARTFR
        tbnz    w3, #5, wait            // TXFF: FIFO full
        str     w0, [x1]                // UARTDR
        b       print

begin:
        ldr     x21, =6364136223846793005   // multiplier
        ldr     x22, =1442695040888963407   // increment
        ldr     x23, =REGION
        mov     x20, #SEED              // x
        mov     x19, #1                 // n
step:
        madd    x20, x20, x21, x22      // x = x * a + c
        lsr     x2, x20, #33
        and     x2, x2, #(PAGES - 1)    // page
        add     x2, x23, x2, lsl #12    // the page's first byte
        str     x19, [x2]
        add     x19, x19, #1
        b       step

banner:    .asciz "dirtylog (arm64): writing iteration numbers to random pages\n"
        .balign 8                       // the literal pool (ldr =) follows
