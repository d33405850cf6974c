; arch: x86_64
;
; smp-sum: four vCPUs sum the slices of one array under a spinlock (run with --cpus 4).
;
; The boot CPU (APIC ID 0) fills ELEMS 32-bit words, a[i] = i * 0x9E3779B1 (mod 2^32), clears the
; lock, the total and the barrier count, then wakes CPUs 1..3 one at a time through the ACPI
; Multiprocessor Wakeup mailbox at guest-physical 0x1000 (guests/README.md): APIC ID at +4, the
; wakeup vector at +8, then the command word at +0 = 1; the AP clears the command when it takes
; it. Every CPU then
;
;   reads its own APIC ID (CPUID leaf 1, EBX bits 31:24), sums a[id * SLICE .. (id + 1) * SLICE),
;   takes the spinlock (lock cmpxchg), adds its sum to the total and counts itself in at the
;   barrier, releases the lock (lock xchg), and waits until all four have arrived;
;
; the boot CPU prints the total on the 16550 UART; every CPU then halts, which ends the run with
; status 0. With fewer than four vCPUs (CPUID leaf 1, EBX bits 23:16) the boot CPU wakes none: it
; prints "smp-sum: fewer than 4 vCPUs (run with --cpus 4)" and exits with status 3 (isa-debug-exit). The APs use no stack. Expected output: guests/expected/smp-sum-x86_64.txt.

.equ ELEMS, 8192
.equ SLICE, 2048
.equ CPUS, 4
.equ MAILBOX, 0x1000                    ; the wakeup mailbox (guest-physical = guest-virtual here)
.equ COM1, 0x3f8
.equ COM1_LSR, 0x3fd
.equ DEBUG_EXIT, 0xf4                   ; isa-debug-exit: status = value * 2 + 1

start:
        lea     rsp, [rip + start]      ; the boot CPU's stack grows down from just below the image
        lea     r14, [rip + shared]     ; r14 -> lock, total, count
        lea     r15, [rip + array]      ; r15 -> the array
        xor     ecx, ecx                ; i
        xor     eax, eax                ; i * 0x9E3779B1
fill:
        mov     dword ptr [r15 + rcx * 4], eax
        add     eax, 0x9E3779B1
        inc     ecx
        cmp     ecx, ELEMS
        jne     fill
        xor     eax, eax
        mov     qword ptr [r14], rax        ; lock = 0
        mov     qword ptr [r14 + 8], rax    ; total = 0
        mov     qword ptr [r14 + 16], rax   ; count = 0
        mov     eax, 1
        cpuid                           ; ebx bits 23:16: the logical processors (nestvm: --cpus)
        shr     ebx, 16
        cmp     bl, CPUS
        jb      too_few                 ; a wakeup no AP takes would be waited for for ever

        mov     ebx, 1                  ; wake CPUs 1..3
        lea     rdx, [rip + secondary]
wake:
        mov     dword ptr [MAILBOX + 4], ebx    ; APIC ID
        mov     qword ptr [MAILBOX + 8], rdx    ; wakeup vector
        mov     word ptr [MAILBOX], 1           ; command: wakeup
taken:
        pause
        cmp     word ptr [MAILBOX], 0   ; the AP clears the command when it takes it
        jne     taken
        inc     ebx
        cmp     ebx, CPUS
        jne     wake

        call    work

        lea     rsi, [rip + result]
        call    puts
        mov     rdi, qword ptr [r14 + 8]
        mov     ecx, 16
        call    puthex
        mov     al, 10
        call    putc
        hlt                             ; every CPU halted: the run ends, status 0

; Fewer than CPUS vCPUs: say so and leave through isa-debug-exit (1: exit status 3).
too_few:
        lea     rsi, [rip + fewcpus]
        call    puts
        mov     al, 1
        out     DEBUG_EXIT, al

; An AP starts here in 64-bit mode with guest paging off and no stack of its own.
secondary:
        lea     r14, [rip + shared]
        lea     r15, [rip + array]
        lea     r13, [rip + ap_done]    ; work returns through r13 (no stack)
        jmp     work_nostack
ap_done:
        hlt

; work: sum this CPU's slice, add it to the total under the lock, count in at the barrier and
; wait for all CPUS. r14 -> shared, r15 -> array. Clobbers rax, rbx, rcx, rdx, rsi, rdi.
work:
        pop     r13                     ; the return address (so the APs can share the code)
work_nostack:
        mov     eax, 1
        cpuid                           ; ebx bits 31:24 = this CPU's APIC ID
        shr     ebx, 24
        imul    esi, ebx, SLICE         ; first index
        lea     edi, [esi + SLICE]      ; one past the last
        xor     edx, edx                ; the sum
sum:
        mov     eax, dword ptr [r15 + rsi * 4]
        add     rdx, rax
        inc     esi
        cmp     esi, edi
        jne     sum
lock:
        xor     eax, eax
        mov     ecx, 1
        lock cmpxchg qword ptr [r14], rcx   ; take the lock if it is 0
        jz      locked
spin:
        pause
        cmp     qword ptr [r14], 0
        jne     spin
        jmp     lock
locked:
        add     qword ptr [r14 + 8], rdx    ; total += sum
        inc     qword ptr [r14 + 16]        ; count += 1
        xor     eax, eax
        lock xchg qword ptr [r14], rax      ; release the lock
barrier:
        pause
        cmp     qword ptr [r14 + 16], CPUS
        jne     barrier
        jmp     r13

; putc: send al to COM1 once the transmitter is empty. Keeps every register but flags.
putc:
        push    rdx
        push    rax
        mov     dx, COM1_LSR
putc_wait:
        in      al, dx
        test    al, 0x20
        jz      putc_wait
        pop     rax
        mov     dx, COM1
        out     dx, al
        pop     rdx
        ret

; puts: send the NUL-terminated text at rsi. Clobbers rax, rsi.
puts:
        lodsb
        test    al, al
        jz      puts_done
        call    putc
        jmp     puts
puts_done:
        ret

; puthex: send the low ecx (1..16) hex digits of rdi, most significant first. Clobbers rax, rcx, rdi, r10.
puthex:
        lea     r10, [rip + hexdigits]
        mov     eax, ecx
        push    rcx
        mov     ecx, 16
        sub     ecx, eax
        shl     ecx, 2
        rol     rdi, cl
        pop     rcx
puthex_digit:
        rol     rdi, 4
        mov     eax, edi
        and     eax, 0xf
        movzx   eax, byte ptr [r10 + rax]
        call    putc
        dec     ecx
        jnz     puthex_digit
        ret

hexdigits: .ascii "0123456789abcdef"
result:    .asciz "smp-sum (x86-64): 4 CPUs, total 0x"
fewcpus:   .asciz "smp-sum: fewer than 4 vCPUs (run with --cpus 4)\n"
        .balign 64
shared:    .quad 0, 0, 0                ; lock, total, count
        .balign 4096
array:     .quad 0                      ; ELEMS words from here on (filled by the boot CPU)
