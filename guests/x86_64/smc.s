; arch: x86_64
;
; smc: self-modifying code, for the instruction counters.
;
; The loop's first block starts with two bytes the loop rewrites after every round: `nop; nop`
; (two instructions) and `xchg ax, ax` (66 90, one instruction) take turns, so the block keeps its
; address and its length while its instruction count changes. The engine retranslates the block
; after each write; a counter that remembered the old count would be off by one per round. Then
; it prints a line on the debug console (port 0xE9) and stops with `hlt`, status 0.

start:
        lea     rdi, [rip + patch]      ; the two bytes the loop rewrites
        mov     ecx, 9                  ; rounds
again:
patch:  nop                             ; 90 90 <-> 66 90
        nop
        dec     ecx
        jz      done
        xor     word ptr [rdi], 0xf6    ; 0x9090 ^ 0x00f6 = 0x9066: the other form
        jmp     again
done:
        cld
        lea     rsi, [rip + msg]
        mov     dx, 0xe9
next:
        lodsb
        test    al, al
        jz      stop
        out     dx, al
        jmp     next
stop:
        hlt

msg:    .asciz  "self-modifying code ran 9 rounds\n"
