// arch: arm64
//
// smp-sum: four vCPUs sum the slices of one array under a spinlock (run with --cpus 4).
//
// CPU 0 fills ELEMS 32-bit words, a[i] = i * 0x9E3779B1 (mod 2^32), clears the lock, the total
// and the barrier count, then starts CPUs 1..3 with PSCI CPU_ON over `hvc #0` (x1 = target MPIDR,
// x2 = entry point, x3 = context id: the CPU's number, which it finds in x0). Every CPU then
//
//   sums a[id * SLICE .. (id + 1) * SLICE) into a 64-bit register,
//   takes the spinlock (ldaxr / stxr, released by stlr), adds its sum to the total and counts
//   itself in at the barrier, then waits until all four have arrived;
//
// CPU 0 prints the total on the PL011 UART and powers the system off (PSCI SYSTEM_OFF); the others
// power themselves off (PSCI CPU_OFF). With fewer than four vCPUs a CPU_ON fails (INVALID_PARAMETERS):
// CPU 0 prints "smp-sum: PSCI CPU_ON failed (run with --cpus 4)" and leaves through semihosting
// SYS_EXIT with status 3 (on QEMU that needs -semihosting), so a CPU started already never waits
// at the barrier for ever. Expected output: guests/expected/smp-sum-arm64.txt.
// The same ELF runs on `qemu-system-aarch64 -M virt -cpu cortex-a57 -smp 4 -kernel` (PSCI via hvc there too).

.equ ELEMS, 8192
.equ SLICE, 2048
.equ CPUS, 4

start:
        adr     x0, start
        mov     sp, x0                  // CPU 0's stack grows down from just below the image
        movz    x19, #0x0900, lsl #16   // x19 = PL011 base for putc
        adr     x20, shared             // x20 -> lock, total, count
        adr     x21, array              // x21 -> the array
        ldr     w1, =0x9E3779B1
        mov     w2, #0                  // i
        mov     w3, #0                  // i * 0x9E3779B1
fill:
        str     w3, [x21, x2, lsl #2]
        add     w3, w3, w1
        add     w2, w2, #1
        cmp     w2, #ELEMS
        b.ne    fill
        str     xzr, [x20]              // lock = 0
        str     xzr, [x20, #8]          // total = 0
        str     xzr, [x20, #16]         // count = 0
        dmb     ish

        mov     x22, #1                 // start CPUs 1..3
boot:
        ldr     w0, =0xC4000003         // PSCI CPU_ON (64-bit)
        mov     x1, x22                 // target MPIDR: Aff0 = the CPU's number
        adr     x2, secondary           // entry point
        mov     x3, x22                 // context id: the CPU's number
        hvc     #0
        cbnz    x0, failed              // anything but SUCCESS
        add     x22, x22, #1
        cmp     x22, #CPUS
        b.ne    boot

        mov     x0, #0                  // CPU 0 does its own slice
        bl      work

        adr     x0, result
        bl      puts
        ldr     x0, [x20, #8]           // the total
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

failed:                                 // no such CPU: say so, leave with status 3
        adr     x0, bootfail
        bl      puts
        adr     x1, exit_few            // { ADP_Stopped_ApplicationExit, 3 }
        mov     w0, #0x18               // semihosting SYS_EXIT
        hlt     #0xf000
        b       hang

// A secondary CPU starts here with x0 = its number (the context id), the MMU off, no stack.
secondary:
        adr     x20, shared
        adr     x21, array
        bl      work
        ldr     w0, =0x84000002         // PSCI CPU_OFF: does not return
        hvc     #0
        b       hang

// work: sum CPU x0's slice, add it to the total under the lock, count in at the barrier and wait
// for all CPUS. x20 -> shared, x21 -> array. Uses no stack. Clobbers x0..x7.
work:
        mov     x4, #SLICE
        mul     x5, x0, x4              // first index
        add     x6, x5, x4              // one past the last
        mov     x7, #0                  // the sum
sum:
        ldr     w2, [x21, x5, lsl #2]
        add     x7, x7, x2
        add     x5, x5, #1
        cmp     x5, x6
        b.ne    sum
        mov     w1, #1
lock:
        ldaxr   w2, [x20]               // load-acquire exclusive the lock word
        cbnz    w2, lock                // held: spin
        stxr    w3, w1, [x20]           // try to take it
        cbnz    w3, lock                // lost the exclusive: try again
        ldr     x2, [x20, #8]
        add     x2, x2, x7
        str     x2, [x20, #8]           // total += sum
        ldr     x2, [x20, #16]
        add     x2, x2, #1
        str     x2, [x20, #16]          // count += 1
        stlr    wzr, [x20]              // release the lock
        add     x4, x20, #16
barrier:
        ldar    x2, [x4]
        cmp     x2, #CPUS
        b.ne    barrier
        ret

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
        mov     x6, x0
        lsl     x7, x1, #2
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
result:    .asciz "smp-sum (arm64): 4 CPUs, total 0x"
bootfail:  .asciz "smp-sum: PSCI CPU_ON failed (run with --cpus 4)\n"
        .balign 8
exit_few:  .quad 0x20026, 3             // semihosting SYS_EXIT's block: application exit, code 3
                                        // (the literal pool, ldr =, follows)
        .ltorg
        .balign 64
shared:    .quad 0, 0, 0                // lock, total, count
        .balign 4096
array:     .quad 0                      // ELEMS words from here on (filled by CPU 0)
