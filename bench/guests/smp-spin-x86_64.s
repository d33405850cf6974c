; arch: x86_64
;
; smp-spin (bench/smp.ts): CPUS vCPUs each run ITERS steps of a 64-bit LCG in registers and halt,
; so every vCPU stays busy until it is done and none waits for another. The boot CPU first wakes
; CPUs 1..CPUS-1 one at a time through the ACPI wakeup mailbox at guest-physical 0x1000
; (guests/README.md); the bench rewrites CPUS to match --cpus. No console output; the run ends
; when every vCPU has halted (status 0).

.equ CPUS, 4
.equ ITERS, 400000
.equ MAILBOX, 0x1000

start:
        mov     ebx, 1
wake:
        cmp     ebx, CPUS
        jae     spin
        mov     dword ptr [MAILBOX + 4], ebx    ; APIC ID
        lea     rdx, [rip + spin]
        mov     qword ptr [MAILBOX + 8], rdx    ; wakeup vector
        mov     word ptr [MAILBOX], 1           ; command: wakeup
taken:
        pause
        cmp     word ptr [MAILBOX], 0
        jne     taken
        inc     ebx
        jmp     wake

spin:
        mov     ecx, ITERS
        mov     eax, 1
step:
        imul    rax, rax, 1103515245
        add     rax, 12345
        dec     ecx
        jnz     step
        hlt
