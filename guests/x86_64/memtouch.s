; arch: x86_64
;
; memtouch: touch PAGES pages of guest RAM, one byte each, then read them back.
;
; Every page of the buffer is fresh guest-physical memory, so each first write is a nested page
; fault that the VMM resolves by mapping a host frame (watch them in the TUI). Page i gets the
; byte (i * 37 + 11) & 0xff at its first address; the read pass checks every byte and adds them
; up. The result goes to the debug console (port 0xE9), then the guest leaves through QEMU's
; isa-debug-exit device (port 0xF4): writing v makes the exit status (v << 1) | 1.
;
;     all bytes read back as written  -> v = 0, exit status 1
;     some byte differs               -> v = 1, exit status 3
;
; PAGES: how many 4 KiB pages to touch (default 256 = 1 MiB). BUFFER + PAGES * 4096 must stay
; inside guest RAM (16 MiB by default, --mem to change). Changing either changes the output,
; so guests/expected/memtouch-x86_64.txt only holds for the defaults.

.equ PAGES, 256
.equ BUFFER, 0x200000                   ; first page: 2 MiB, clear of the image at 1 MiB
.equ PAGE_SIZE, 4096
.equ DEBUGCON, 0xe9
.equ DEBUG_EXIT, 0xf4

start:
        lea     rsp, [rip + start]      ; stack grows down from just below the image
        lea     rsi, [rip + banner]
        call    puts
        mov     rdi, PAGES
        mov     ecx, 8
        call    puthex
        lea     rsi, [rip + from]
        call    puts
        mov     rdi, BUFFER
        mov     ecx, 8
        call    puthex
        mov     al, 10
        call    putc

        ; write pass: page i <- (i * 37 + 11) & 0xff
        mov     rdi, BUFFER
        xor     ecx, ecx                ; i
write_page:
        imul    eax, ecx, 37
        add     eax, 11
        mov     byte ptr [rdi], al      ; first touch of this page: a nested fault
        add     rdi, PAGE_SIZE
        inc     ecx
        cmp     ecx, PAGES
        jb      write_page

        ; read pass: check each byte, sum them into rbx
        mov     rdi, BUFFER
        xor     ecx, ecx
        xor     ebx, ebx
read_page:
        imul    eax, ecx, 37
        add     eax, 11
        movzx   edx, byte ptr [rdi]
        cmp     dl, al
        jne     mismatch
        add     rbx, rdx
        add     rdi, PAGE_SIZE
        inc     ecx
        cmp     ecx, PAGES
        jb      read_page

        lea     rsi, [rip + good]
        call    puts
        mov     rdi, rbx
        mov     ecx, 8
        call    puthex
        mov     al, 10
        call    putc
        mov     al, 0                   ; isa-debug-exit: status (0 << 1) | 1 = 1
        out     DEBUG_EXIT, al
        hlt                             ; not reached under nestvm or QEMU

mismatch:
        mov     rbx, rcx
        lea     rsi, [rip + bad]
        call    puts
        mov     rdi, rbx
        mov     ecx, 8
        call    puthex
        mov     al, 10
        call    putc
        mov     al, 1                   ; isa-debug-exit: status (1 << 1) | 1 = 3
        out     DEBUG_EXIT, al
        hlt

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
banner:    .asciz "memtouch (x86-64): pages 0x"
from:      .asciz " from 0x"
good:      .asciz "read back ok, checksum 0x"
bad:       .asciz "MISMATCH at page 0x"
