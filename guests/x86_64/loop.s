; arch: x86_64
;
; loop: a compute-bound guest. It runs ITERATIONS steps of a 64-bit linear congruential
; generator, folds every state into a checksum, prints the result on the 16550 UART at 0x3F8
; (polling the line status register at 0x3FD for "transmitter empty", bit 5) and halts.
;
;     x    = x * 6364136223846793005 + 1442695040888963407     (mod 2^64), from x = 1
;     sum += x ^ (x >> 31)                                      (mod 2^64), from sum = 0
;
; guests/arm64/loop.s computes the same sum, so both print the same checksum.
; Expected output: guests/expected/loop-x86_64.txt. Exit: hlt, status 0.

.equ ITERATIONS, 3000000
.equ COM1, 0x3f8                        ; 16550 transmit holding register
.equ COM1_LSR, 0x3fd                    ; line status register; bit 5 = ready to send

start:
        lea     rsp, [rip + start]      ; stack grows down from just below the image
        lea     rsi, [rip + banner]
        call    puts

        mov     r8, 6364136223846793005 ; multiplier
        mov     r9, 1442695040888963407 ; increment
        mov     rax, 1                  ; x
        xor     ebx, ebx                ; sum
        mov     ecx, ITERATIONS
step:
        imul    rax, r8                 ; x = x * a + c
        add     rax, r9
        mov     rdx, rax
        shr     rdx, 31
        xor     rdx, rax                ; x ^ (x >> 31)
        add     rbx, rdx
        dec     ecx
        jnz     step

        lea     rsi, [rip + result]
        call    puts
        mov     rdi, rbx
        mov     ecx, 16
        call    puthex
        mov     al, 10
        call    putc
        hlt                             ; stop: exit status 0

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

; puthex: send the low ecx (1..16) hex digits of rdi, most significant first.
; Clobbers rax, rcx, rdi, r10.
puthex:
        lea     r10, [rip + hexdigits]
        mov     eax, ecx
        push    rcx
        mov     ecx, 16
        sub     ecx, eax
        shl     ecx, 2
        rol     rdi, cl                 ; the first wanted digit is now in bits 63:60
        pop     rcx
puthex_digit:
        rol     rdi, 4                  ; next digit into bits 3:0
        mov     eax, edi
        and     eax, 0xf
        movzx   eax, byte ptr [r10 + rax]
        call    putc
        dec     ecx
        jnz     puthex_digit
        ret

hexdigits: .ascii "0123456789abcdef"
banner:    .asciz "loop (x86-64): 3000000 LCG steps\n"
result:    .asciz "checksum 0x"
