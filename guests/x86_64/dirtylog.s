; arch: x86_64
;
; dirtylog: a dirty-log workload in the style of KVM's dirty_log_test. It never stops by itself:
; run it with an instruction limit (--max-insns) and harvest the dirty log between slices.
;
; Iteration n = 1, 2, 3, ... picks a page of the test region with a 64-bit linear congruential
; generator and writes n (8 bytes, little-endian) at the start of that page:
;
;     x    = x * 6364136223846793005 + 1442695040888963407     (mod 2^64), from x = SEED
;     page = (x >> 33) & (PAGES - 1)
;     [REGION + page * 4096] <- n
;
; The iteration number lives in rbx, where the host can read it between slices. The store comes
; before the increment, so at any instruction boundary every value below rbx has been stored,
; rbx itself may have been, and nothing above it. A host can replay the generator to know which
; page each iteration wrote (test/emulator/nested/dirtylog.test.ts does). Console: one banner line.
;
; PAGES (a power of two) and REGION must keep the region inside guest RAM (16 MiB by default).

.equ PAGES, 1024                        ; 4 MiB of test region
.equ REGION, 0x400000                   ; from 4 MiB, clear of the image at 1 MiB
.equ SEED, 1
.equ DEBUGCON, 0xe9

start:
        lea     rsi, [rip + banner]
print:
        lodsb
        test    al, al
        jz      begin
        out     DEBUGCON, al
        jmp     print

begin:
        mov     r8, 6364136223846793005 ; multiplier
        mov     r9, 1442695040888963407 ; increment
        mov     r10, REGION
        mov     rax, SEED               ; x
        mov     ebx, 1                  ; n
step:
        imul    rax, r8                 ; x = x * a + c
        add     rax, r9
        mov     rdx, rax
        shr     rdx, 33
        and     edx, PAGES - 1          ; page
        shl     rdx, 12
        mov     qword ptr [r10 + rdx], rbx
        inc     rbx
        jmp     step

banner:    .asciz "dirtylog (x86-64): writing iteration numbers to random pages\n"
