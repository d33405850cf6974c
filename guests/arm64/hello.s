// arch: arm64
//
// hello: the smallest nestvm guest for arm64 (QEMU `virt` layout).
//
// It writes a greeting to the PL011 UART at 0x0900_0000, waiting while the transmit FIFO is
// full (flag register at +0x18, TXFF = bit 5), then asks PSCI to power the system off:
// `hvc #0` with w0 = 0x84000008 (SYSTEM_OFF) ends the run with status 0.
// It needs no stack and is position-independent (adr), so it runs wherever it is loaded.

start:
        movz    x1, #0x0900, lsl #16    // x1 = 0x0900_0000, PL011 base
        adr     x2, msg                 // x2 -> the text
next:
        ldrb    w0, [x2], #1            // w0 = *x2++
        cbz     w0, done                // the NUL terminator ends the text
wait:
        ldr     w3, [x1, #0x18]         // UARTFR, the flag register
        tbnz    w3, #5, wait            // TXFF set: the FIFO is full, try again
        str     w0, [x1]                // UARTDR: one character out
        b       next
done:
        movz    w0, #0x0008
        movk    w0, #0x8400, lsl #16    // w0 = 0x84000008, PSCI SYSTEM_OFF
        hvc     #0                      // to the hypervisor: power off, status 0
hang:
        wfi                             // not reached; never run on past the end
        b       hang

msg:    .asciz  "Hello from nestvm (arm64)!\n"
