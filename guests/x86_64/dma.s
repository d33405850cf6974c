; arch: x86_64
;
; dma: drive the nestvm-dma engine (MMIO at guest-physical 0xFEB0_0000, see guests/README.md).
;
; The engine reads and writes guest memory itself, by guest-physical address, through page holds
; on the VMM's "devices" client: watch the 'hold' and 'release' events, and the dirty pages the
; writes leave behind, in the TUI or a --trace. Steps:
;
;   1. FILL  LEN bytes at BUF_A with 0x5a            (BUF_A starts mid-page: 4 pages are held)
;   2. the CPU stamps one byte every 0x400 bytes of BUF_A: byte i gets (i * 37 + 11) & 0xff
;   3. COPY  BUF_A -> BUF_B, LEN bytes               (4 source + 4 destination holds, one chain)
;   4. the CPU compares BUF_B with BUF_A byte by byte and adds BUF_B up
;   5. SUM   BUF_B on the engine: its RESULT must equal the CPU's sum
;   6. COPY  into a hole (nothing mapped) and into the engine's own page: STATUS shows the error
;      bit and the cause (0x06 hole, 0x0a device), DONE stays 0, FAULT names the page
;
; Output on the debug console (port 0xE9); the guest stops with hlt (status 0), after "ok" or
; "MISMATCH". Changing the constants changes the output (guests/expected/dma-x86_64.txt).

.equ DMA, 0xfeb00000                    ; nestvm-dma registers (64-bit each)
.equ R_ID, 0x00
.equ R_SRC, 0x08
.equ R_DST, 0x10
.equ R_LEN, 0x18
.equ R_VALUE, 0x20
.equ R_OP, 0x28                         ; writing it runs the operation
.equ R_STATUS, 0x30
.equ R_DONE, 0x38
.equ R_RESULT, 0x40
.equ R_FAULT, 0x48
.equ R_HOLDS, 0x50
.equ OP_COPY, 1
.equ OP_FILL, 2
.equ OP_SUM, 3

.equ BUF_A, 0x200800                    ; 2 MiB + 2 KiB: clear of the image at 1 MiB
.equ BUF_B, 0x300400
.equ LEN, 0x3000
.equ STAMPS, 12                         ; LEN / 0x400
.equ HOLE, 0x40000000                   ; 1 GiB: above guest RAM, nothing mapped
.equ DEBUGCON, 0xe9

start:
        lea     rsp, [rip + start]      ; stack grows down from just below the image
        mov     ebx, DMA                ; rbx = the engine (zero-extended)
        lea     rsi, [rip + banner]
        mov     rdi, qword ptr [rbx + R_ID]
        mov     ecx, 8
        call    field
        call    newline

        ; 1. fill
        mov     eax, BUF_A
        mov     qword ptr [rbx + R_DST], rax
        mov     eax, LEN
        mov     qword ptr [rbx + R_LEN], rax
        mov     eax, 0x5a
        mov     qword ptr [rbx + R_VALUE], rax
        mov     eax, OP_FILL
        mov     qword ptr [rbx + R_OP], rax
        lea     rsi, [rip + t_fill]
        call    puts
        call    report
        call    newline

        ; 2. stamps
        mov     edi, BUF_A
        xor     ecx, ecx
stamp:
        imul    eax, ecx, 37
        add     eax, 11
        mov     byte ptr [rdi], al
        add     rdi, 0x400
        inc     ecx
        cmp     ecx, STAMPS
        jb      stamp

        ; 3. copy A -> B
        mov     eax, BUF_A
        mov     qword ptr [rbx + R_SRC], rax
        mov     eax, BUF_B
        mov     qword ptr [rbx + R_DST], rax
        mov     eax, OP_COPY
        mov     qword ptr [rbx + R_OP], rax
        lea     rsi, [rip + t_copy]
        call    puts
        call    report
        lea     rsi, [rip + t_sum]
        mov     rdi, qword ptr [rbx + R_RESULT]
        mov     ecx, 8
        call    field
        call    newline

        ; 4. the CPU reads B back, compares it with A, adds it up (r12)
        mov     esi, BUF_A
        mov     edi, BUF_B
        xor     ecx, ecx
        xor     r12d, r12d
        xor     r13d, r13d              ; mismatches
readback:
        movzx   eax, byte ptr [rdi + rcx]
        movzx   edx, byte ptr [rsi + rcx]
        cmp     eax, edx
        je      same
        inc     r13
same:
        add     r12, rax
        inc     ecx
        cmp     ecx, LEN
        jb      readback
        lea     rsi, [rip + t_cpu]
        mov     rdi, r12
        mov     ecx, 8
        call    field
        call    newline

        ; 5. the engine adds B up
        mov     eax, BUF_B
        mov     qword ptr [rbx + R_SRC], rax
        mov     eax, OP_SUM
        mov     qword ptr [rbx + R_OP], rax
        lea     rsi, [rip + t_dsum]
        mov     rdi, qword ptr [rbx + R_STATUS]
        mov     ecx, 2
        call    field
        lea     rsi, [rip + t_sum]
        mov     rdi, qword ptr [rbx + R_RESULT]
        mov     ecx, 8
        call    field
        call    newline
        mov     rax, qword ptr [rbx + R_RESULT]
        cmp     rax, r12
        je      sums_agree
        inc     r13
sums_agree:

        ; 6. errors: a copy into a hole, then into the engine's own page
        mov     eax, BUF_A
        mov     qword ptr [rbx + R_SRC], rax
        mov     eax, HOLE
        mov     qword ptr [rbx + R_DST], rax
        mov     eax, OP_COPY
        mov     qword ptr [rbx + R_OP], rax
        lea     rsi, [rip + t_hole]
        call    puts
        call    report_fault
        mov     qword ptr [rbx + R_DST], rbx
        mov     eax, OP_COPY
        mov     qword ptr [rbx + R_OP], rax
        lea     rsi, [rip + t_dev]
        call    puts
        call    report_fault

        lea     rsi, [rip + t_ok]
        test    r13, r13
        jz      verdict
        lea     rsi, [rip + t_bad]
verdict:
        call    puts
        hlt                             ; status 0

; report: " status 0x.. done 0x.... holds 0x.." of the last operation. Clobbers rax, rcx, rdi,
; rsi, r10.
report:
        lea     rsi, [rip + t_status]
        mov     rdi, qword ptr [rbx + R_STATUS]
        mov     ecx, 2
        call    field
        lea     rsi, [rip + t_done]
        mov     rdi, qword ptr [rbx + R_DONE]
        mov     ecx, 4
        call    field
        lea     rsi, [rip + t_holds]
        mov     rdi, qword ptr [rbx + R_HOLDS]
        mov     ecx, 2
        call    field
        ret

; report_fault: " status 0x.. done 0x.... fault 0x........" and a newline. Clobbers as report.
report_fault:
        lea     rsi, [rip + t_status]
        mov     rdi, qword ptr [rbx + R_STATUS]
        mov     ecx, 2
        call    field
        lea     rsi, [rip + t_done]
        mov     rdi, qword ptr [rbx + R_DONE]
        mov     ecx, 4
        call    field
        lea     rsi, [rip + t_fault]
        mov     rdi, qword ptr [rbx + R_FAULT]
        mov     ecx, 8
        call    field
        call    newline
        ret

; field: the text at rsi, then the low ecx hex digits of rdi. Clobbers rax, rcx, rdi, rsi, r10.
field:
        call    puts
        call    puthex
        ret

newline:
        mov     al, 10
        call    putc
        ret

; putc: al to the debug console. Keeps every register.
putc:
        out     DEBUGCON, al
        ret

; puts: the NUL-terminated text at rsi. Clobbers rax, rsi.
puts:
        lodsb
        test    al, al
        jz      puts_done
        call    putc
        jmp     puts
puts_done:
        ret

; puthex: the low ecx (1..16) hex digits of rdi, most significant first.
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
banner:    .asciz "nestvm-dma (x86-64) at 0xfeb00000: id 0x"
t_fill:    .asciz "fill 0x3000 bytes of 0x5a at 0x200800:"
t_copy:    .asciz "copy to 0x300400:"
t_cpu:     .asciz "cpu read back: sum 0x"
t_dsum:    .asciz "dma sum: status 0x"
t_hole:    .asciz "copy to a hole at 0x40000000:"
t_dev:     .asciz "copy to the dma page:"
t_status:  .asciz " status 0x"
t_done:    .asciz " done 0x"
t_holds:   .asciz " holds 0x"
t_sum:     .asciz " sum 0x"
t_fault:   .asciz " fault 0x"
t_ok:      .asciz "ok\n"
t_bad:     .asciz "MISMATCH\n"
