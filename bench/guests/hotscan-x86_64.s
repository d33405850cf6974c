; arch: x86_64
;
; hotscan: a hot working set read every round, and a streaming scan that passes through the rest
; of memory, for bench/reclaim.ts (replacement policies under overcommit).
;
;   round r (ROUNDS of them):
;     hot pass     read one word of each of the HOT pages at HOTBUF (written once, in round 0)
;     scan step    write one word of CHUNK stream pages, the next ones after the last round's,
;                  going round the SCAN pages at SCANBUF again and again
;
; A policy that keeps what is used (clock, second chance over Accessed) keeps the hot pages and
; lets the stream go; one that keeps only arrival order (fifo) throws hot pages out with the
; stream and takes major faults to get them back. The words read are summed and printed, so a
; wrong page back from swap shows. Console: port 0xE9; `hlt` ends the run with status 0.

.equ HOT, 96
.equ SCAN, 928
.equ CHUNK, 16
.equ ROUNDS, 192
.equ HOTBUF, 0x400000
.equ SCANBUF, 0x800000

start:
        lea     rsp, [rip + start]
        ; round 0: write the hot pages
        mov     rdi, HOTBUF
        mov     ecx, HOT
init_hot:
        mov     qword ptr [rdi], rdi
        add     rdi, 4096
        dec     ecx
        jnz     init_hot

        xor     r8d, r8d                ; r8 = round
        xor     r9d, r9d                ; r9 = next stream page index
        xor     r10d, r10d              ; r10 = sum of the hot words read
round:
        mov     rdi, HOTBUF
        mov     ecx, HOT
hot_pass:
        add     r10, qword ptr [rdi]
        add     rdi, 4096
        dec     ecx
        jnz     hot_pass

        mov     ecx, CHUNK
scan_step:
        mov     rax, r9
        shl     rax, 12
        add     rax, SCANBUF
        mov     qword ptr [rax], r8
        inc     r9
        cmp     r9, SCAN
        jb      scan_next
        xor     r9d, r9d
scan_next:
        dec     ecx
        jnz     scan_step

        inc     r8
        cmp     r8, ROUNDS
        jb      round

        lea     rsi, [rip + msg]
        call    puts
        mov     rbx, r10
        mov     ecx, 64
hex:
        sub     ecx, 4
        mov     rax, rbx
        shr     rax, cl
        and     eax, 15
        lea     rdx, [rip + digits]
        mov     al, byte ptr [rdx + rax]
        out     0xe9, al
        test    ecx, ecx
        jnz     hex
        mov     al, 10
        out     0xe9, al
        hlt

puts:
        lodsb
        test    al, al
        jz      puts_done
        out     0xe9, al
        jmp     puts
puts_done:
        ret

digits: .ascii  "0123456789abcdef"
msg:    .asciz  "hotscan sum "
