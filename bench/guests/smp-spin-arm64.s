// arch: arm64
//
// smp-spin (bench/smp.ts): CPUS vCPUs each run ITERS steps of a 64-bit LCG in registers and stop
// in wfi, so every vCPU stays busy until it is done and none waits for another. CPU 0 first
// starts CPUs 1..CPUS-1 with PSCI CPU_ON (guests/README.md); the bench rewrites CPUS to match
// --cpus. No console output; the run ends when every vCPU has halted (status 0).

.equ CPUS, 4
.equ ITERS, 400000

start:
        mov     x22, #1
boot:
        cmp     x22, #CPUS
        b.hs    spin
        ldr     w0, =0xC4000003         // PSCI CPU_ON (64-bit)
        mov     x1, x22                 // target MPIDR
        adr     x2, spin                // entry point
        mov     x3, x22                 // context id
        hvc     #0
        add     x22, x22, #1
        b       boot

spin:
        ldr     w1, =ITERS
        mov     x2, #1
        ldr     x4, =1103515245
step:
        madd    x2, x2, x4, x4
        subs    w1, w1, #1
        b.ne    step
hang:
        wfi
        b       hang

        .balign 8
        .ltorg
