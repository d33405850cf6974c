; arch: x86_64
;
; hello: the smallest nestvm guest.
;
; It writes a greeting to the debug console (I/O port 0xE9, QEMU's isa-debugcon), one byte per
; `out`, then stops with `hlt`: a halted CPU with nothing to wake it ends the run, status 0.
; It needs no stack and no data outside its own image, so it runs wherever it is loaded.

start:
        cld                             ; lodsb walks upwards
        lea     rsi, [rip + msg]        ; rsi -> the text (position-independent)
        mov     dx, 0xe9                ; the debug console port
next:
        lodsb                           ; al = *rsi++
        test    al, al
        jz      done                    ; the NUL terminator ends the text
        out     dx, al                  ; one character to the console
        jmp     next
done:
        hlt                             ; stop: exit status 0

msg:    .asciz  "Hello from nestvm (x86-64)!\n"
