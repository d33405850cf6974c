; arch: x86_64
;
; pattern: fill PAGES pages of guest RAM with a pattern, word by word, then verify every word.
;
; Made to run with less host memory than guest memory (`--host-mem` below `--mem`): every page
; of the buffer is written whole, so under overcommit most of them lose their frame to reclaim
; before the verify pass reads them back, and come back from the host's swap store. Each 8-byte
; word holds its own guest address times an odd constant, so a page that came back in the wrong
; place, or stale, or zero, cannot pass. The verify pass also adds the words up; the sum does not
; depend on how much host memory there was, so the console is the same squeezed or not.
;
;     every word reads back as written  -> "verified", hlt, exit status 0
;     some word differs                 -> "MISMATCH at 0x<address>", isa-debug-exit 1, status 3
;
; PAGING = 1 turns on the guest's own 4-level paging first: the 16 MiB of guest RAM are
; identity-mapped with 2 MiB pages (tables at 0x30_0000), so the same addresses now go through
; the two-dimensional walk, and the guest's table pages can be evicted too.
;
; PAGES: how many 4 KiB pages (default 300). BUFFER + PAGES * 4096 must stay inside guest RAM
; (16 MiB by default): at most 3072 pages. Console: port 0xE9.

.equ PAGES, 300
.equ PAGING, 0
.equ BUFFER, 0x400000                   ; 4 MiB: clear of the image (1 MiB) and the tables
.equ PML4, 0x300000
.equ PDPT, 0x301000
.equ PD, 0x302000
.equ P_RW_PS, 0x83                      ; Present | Read/Write | Page Size (a 2 MiB leaf)
.equ P_RW, 3
.equ DEBUG_EXIT, 0xf4

start:
        cld
        lea     rsp, [rip + start]      ; stack grows down from just below the image
        mov     eax, PAGING
        test    eax, eax
        jz      paging_done
        call    paging_on
paging_done:
        lea     rsi, [rip + banner]
        call    puts
        mov     rbx, PAGES
        call    puthex
        lea     rsi, [rip + msg_paging]
        call    puts
        mov     rbx, PAGING
        call    puthex
        call    newline

        ; write pass: word at address a <- a * K
        movabs  r8, 0x9e3779b97f4a7c15
        mov     rdi, BUFFER
        mov     r9, PAGES
        shl     r9, 12
        add     r9, rdi                 ; r9 = end of the buffer
write_word:
        mov     rax, rdi
        imul    rax, r8
        mov     qword ptr [rdi], rax
        add     rdi, 8
        cmp     rdi, r9
        jb      write_word

        ; verify pass: compare every word, sum them into r10
        mov     rdi, BUFFER
        xor     r10d, r10d
verify_word:
        mov     rax, rdi
        imul    rax, r8
        cmp     qword ptr [rdi], rax
        jne     mismatch
        add     r10, rax
        add     rdi, 8
        cmp     rdi, r9
        jb      verify_word

        lea     rsi, [rip + msg_ok]
        call    puts
        mov     rbx, r10
        call    puthex
        call    newline
        hlt                             ; stop: exit status 0

mismatch:
        mov     rbx, rdi
        lea     rsi, [rip + msg_bad]
        call    puts
        call    puthex
        call    newline
        mov     al, 1                   ; isa-debug-exit: status (1 << 1) | 1 = 3
        out     DEBUG_EXIT, al
        hlt

; paging_on: identity-map [0, 16 MiB) with 2 MiB pages and turn on 4-level paging.
; Clobbers rax, rcx, rdx, rdi.
paging_on:
        mov     edi, PML4
        xor     eax, eax
        mov     ecx, 1536               ; clear PML4, PDPT, PD: 3 pages of qwords
        rep stosq
        mov     edi, PML4
        mov     eax, PDPT + P_RW
        mov     qword ptr [rdi], rax    ; PML4[0] -> PDPT
        mov     edi, PDPT
        mov     eax, PD + P_RW
        mov     qword ptr [rdi], rax    ; PDPT[0] -> PD
        mov     edi, PD
        mov     eax, P_RW_PS            ; 2 MiB page at 0
        mov     ecx, 8                  ; PD[0..7]: 16 MiB
fill_pd:
        mov     qword ptr [rdi], rax
        add     eax, 0x200000
        add     rdi, 8
        dec     ecx
        jnz     fill_pd
        mov     rax, cr4
        or      eax, 0x20               ; PAE
        mov     cr4, rax
        mov     eax, PML4
        mov     cr3, rax
        mov     rax, cr0
        or      eax, 0x80010000         ; PG | WP
        mov     cr0, rax                ; from the next fetch on, addresses are guest-virtual
        ret

; putc: al -> port 0xE9 (clobbers dx)
putc:
        mov     dx, 0xe9
        out     dx, al
        ret

newline:
        mov     al, 10
        jmp     putc

; puts: print the NUL-terminated text at rsi (clobbers rsi, al, dx)
puts:
        lodsb
        test    al, al
        jz      puts_done
        call    putc
        jmp     puts
puts_done:
        ret

; puthex: print rbx as 0x<hex> without leading zeros (clobbers rax, rcx, rdx, r11)
puthex:
        mov     al, 0x30                ; '0'
        call    putc
        mov     al, 0x78                ; 'x'
        call    putc
        mov     ecx, 60                 ; shift of the top nibble
        xor     r11d, r11d              ; becomes 1 at the first digit printed
hex_next:
        mov     rax, rbx
        shr     rax, cl
        and     eax, 0xf
        test    r11d, r11d
        jnz     hex_emit
        test    eax, eax
        jnz     hex_emit
        test    ecx, ecx                ; always print the last digit
        jnz     hex_skip
hex_emit:
        mov     r11d, 1
        lea     rdx, [rip + digits]
        mov     al, byte ptr [rdx + rax]
        call    putc
hex_skip:
        sub     ecx, 4
        jns     hex_next
        ret

digits:     .ascii  "0123456789abcdef"
banner:     .asciz  "pattern (x86-64): pages "
msg_paging: .asciz  ", guest paging "
msg_ok:     .asciz  "verified, sum "
msg_bad:    .asciz  "MISMATCH at "
