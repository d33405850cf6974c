; arch: x86_64
;
; rmw-kick: read-modify-writes whose store is the access that leaves the engine (for the counters).
;
; PAGES pages of a buffer are kept identical (word 0 a round counter, word 1 zero, the rest
; zero), so the merge scanner (`--merge`, a short `--merge-interval`) folds them onto one shared
; frame, write withheld, while the guest waits between rounds. Each round then reads word 0 of
; every page (a read-only TLB entry) and changes it with one read-modify-write instruction: its
; load hits that entry, and its store misses, so the store's fill is the nested write fault that
; breaks the share and kicks the vCPU out of the engine in the middle of the instruction. An
; instruction that the kick lets finish and then begins again adds twice; one whose effect is
; lost adds nothing. Each round's instruction adds exactly 1:
;
;   round 0  add  qword ptr [rdi], 1        round 4  movsq            (copies round + 1)
;   round 1  inc  qword ptr [rdi]           round 5  rep movsb, 8     (copies round + 1)
;   round 2  xadd qword ptr [rdi], rax=1    round 6  lock xadd, rax=1
;   round 3  lock add qword ptr [rdi], 1
;
; and the guest checks every page after every round (word 0 = round + 1, word 1 = 0: a string
; copy run twice past its first element would write word 1), and the registers the instruction
; leaves (xadd's old value, movs's rsi/rdi/rcx). Without --merge nothing is shared and every
; round passes the same way, so the console does not depend on the options:
;
;     all rounds exact   -> "rmw-kick: 7 rounds exact", hlt, exit status 0
;     something differs  -> "MISMATCH round <r>", isa-debug-exit 1, status 3
;
; WAIT: iterations of the wait loop before each round (two instructions each). Console: port 0xE9.

.equ PAGES, 32
.equ WAIT, 20000
.equ ROUNDS, 7
.equ BUFFER, 0x400000
.equ SOURCE, 0x3f0000                  ; what the string copies read: round + 1, then a sentinel
.equ DEBUG_EXIT, 0xf4

start:
        cld
        lea     rsp, [rip + start]
        ; every page: word 0 = 0, word 1 = 0 (each page gets a frame of its own, all alike)
        mov     rdi, BUFFER
        mov     ecx, PAGES
        xor     eax, eax
init:
        mov     qword ptr [rdi], rax
        mov     qword ptr [rdi + 8], rax
        add     rdi, 4096
        dec     ecx
        jnz     init
        mov     rax, 0x5eed5eed5eed5eed ; what a copy that ran one element too far would write
        mov     qword ptr [SOURCE + 8], rax
        xor     r12d, r12d              ; r12 = round
round:
        mov     ecx, WAIT               ; let the scanner merge the pages
wait:
        dec     ecx
        jnz     wait
        lea     r13, [r12 + 1]          ; r13 = the value every word 0 holds after this round
        mov     qword ptr [SOURCE], r13
        mov     rbx, BUFFER
        mov     r14d, PAGES
page:
        mov     rax, qword ptr [rbx]    ; a read first: the page's TLB entry is read-only
        mov     rdi, rbx
        call    rmw
        add     rbx, 4096
        dec     r14d
        jnz     page
        ; check every page
        mov     rdi, BUFFER
        mov     ecx, PAGES
check:
        cmp     qword ptr [rdi], r13
        jne     mismatch
        cmp     qword ptr [rdi + 8], 0
        jne     mismatch
        add     rdi, 4096
        dec     ecx
        jnz     check
        inc     r12
        cmp     r12, ROUNDS
        jb      round
        lea     rsi, [rip + msg_ok]
        call    say
        hlt

; rmw: round r12's read-modify-write of word 0 at rdi (rdi = page start); checks its registers.
rmw:
        cmp     r12, 1
        jb      op_add
        je      op_inc
        cmp     r12, 3
        jb      op_xadd
        je      op_lock_add
        cmp     r12, 5
        jb      op_movsq
        je      op_rep_movsb
op_add:
        add     qword ptr [rdi], 1
        ret
op_inc:
        inc     qword ptr [rdi]
        ret
op_xadd:
        mov     eax, 1
        xadd    qword ptr [rdi], rax
        jmp     xadd_check
op_lock_add:
        lock add qword ptr [rdi], 1
        ret
op_movsq:
        mov     rsi, SOURCE
        movsq
        jmp     movs_check
op_rep_movsb:
        mov     rsi, SOURCE
        mov     ecx, 8
        rep movsb
        test    ecx, ecx
        jnz     mismatch
        jmp     movs_check
op_lock_xadd:
        mov     eax, 1
        lock xadd qword ptr [rdi], rax
        jmp     xadd_check
xadd_check:                             ; rax = word 0 before: the round number
        cmp     rax, r12
        jne     mismatch
        ret
movs_check:                             ; both pointers moved by 8 exactly
        mov     rax, SOURCE + 8
        cmp     rsi, rax
        jne     mismatch
        lea     rax, [rbx + 8]
        cmp     rdi, rax
        jne     mismatch
        ret

mismatch:
        lea     rsi, [rip + msg_bad]
        call    say
        lea     eax, [r12 + 0x30]       ; the round as one digit
        out     dx, al
        mov     al, 10
        out     dx, al
        mov     al, 1                   ; isa-debug-exit: status (1 << 1) | 1 = 3
        out     DEBUG_EXIT, al
        hlt

; say: the NUL-terminated text at rsi to port 0xE9 (leaves dx = 0xE9; clobbers rsi, al)
say:
        mov     dx, 0xe9
say_next:
        lodsb
        test    al, al
        jz      said
        out     dx, al
        jmp     say_next
said:
        ret

msg_ok: .asciz  "rmw-kick: 7 rounds exact\n"
msg_bad: .asciz "MISMATCH round "
