; arch: x86_64
;
; paging: the guest turns on its OWN 4-level paging, on top of nestvm's nested paging.
;
; nestvm starts an x86-64 guest in 64-bit mode with guest paging off (guest-virtual =
; guest-physical). This guest builds the four levels of IA-32e page tables in its RAM, loads
; CR3 and sets CR0.PG, so that from then on every guest address is translated twice: by the
; guest's tables (guest-virtual -> guest-physical) and by the nested tables (guest-physical ->
; host-physical): the two-dimensional walk.
;
; Layout (all guest-physical; the tables are inside the identity map, so the guest can edit
; them after paging is on):
;
;     0x30_0000  PML4          PML4[0]   -> PDPT        PML4[254] -> HPDPT (the high address)
;     0x30_1000  PDPT          PDPT[0]   -> PD
;     0x30_2000  PD            PD[0] -> PT0, PD[1] -> PT1, PD[2] = 2 MiB page at 0x40_0000
;     0x30_3000  PT0, PT1      4 KiB pages identity-mapping [0, 4 MiB): code, data, stack, tables
;     0x30_5000  HPDPT, HPD, HPT  for 0x7f00_0000_0000: HPT[0] -> the buffer page
;     0x40_0000  BUF           physical buffer (reached through the 2 MiB identity page)
;
; The test: write a text through the high virtual address 0x7f00_0000_0000, read it back through
; the identity mapping of the buffer (a different virtual address, same physical page). Then edit
; the LIVE high entry to point at BUF + 0x1000, reload CR3 (which flushes the TLB: nestvm runs
; Unicorn in virtual-TLB mode, where INVLPG was not reliable, so every edit of a live entry is
; followed by a CR3 reload), write again and check that the new page changed and the old did
; not. Last, print the Accessed and Dirty bits that the "hardware" (nestvm's walker) set in the
; high PTE on that write. The console is port 0xE9; `hlt` ends the run with status 0.
;
; The image must be loaded inside the identity map (below 4 MiB; the default 1 MiB is).

.equ PML4, 0x300000
.equ PDPT, 0x301000
.equ PD, 0x302000
.equ PT0, 0x303000                      ; PT1 follows at 0x304000
.equ HPDPT, 0x305000
.equ HPD, 0x306000
.equ HPT, 0x307000
.equ BUF, 0x400000
.equ HIGH_PML4E, 0x7f0                  ; PML4 index 254 (bits 47:39 of 0x7f00_0000_0000) * 8
                                        ; (written out: Keystone drops the '* 8' of 'INDEX * 8')
.equ P_RW, 3                            ; Present | Read/Write, supervisor only
.equ PS, 0x80                           ; Page Size: a 2 MiB leaf in a PDE

start:
        cld
        lea     rsp, [rip + start]     ; stack grows down from just below the image

        ; 1. clear the 8 table pages (0x30_0000 .. 0x30_8000): 4096 qwords
        mov     edi, PML4
        xor     eax, eax
        mov     ecx, 4096
        rep stosq

        ; 2. PT0 and PT1 (adjacent, 1024 entries) identity-map [0, 4 MiB) in 4 KiB pages
        mov     edi, PT0
        mov     eax, P_RW               ; frame 0 | P | RW
        mov     ecx, 1024
fill_pt:
        mov     qword ptr [rdi], rax
        add     rax, 0x1000
        add     rdi, 8
        dec     ecx
        jnz     fill_pt

        ; 3. the upper levels of the identity map, and the 2 MiB page over the buffer
        mov     edi, PML4
        mov     eax, PDPT + P_RW
        mov     qword ptr [rdi], rax                    ; PML4[0] -> PDPT
        mov     edi, PDPT
        mov     eax, PD + P_RW
        mov     qword ptr [rdi], rax                    ; PDPT[0] -> PD
        mov     edi, PD
        mov     eax, PT0 + P_RW
        mov     qword ptr [rdi], rax                    ; PD[0] -> PT0
        mov     eax, PT0 + 0x1000 + P_RW
        mov     qword ptr [rdi + 8], rax                ; PD[1] -> PT1
        mov     eax, BUF + PS + P_RW
        mov     qword ptr [rdi + 16], rax               ; PD[2] = 2 MiB page at 0x40_0000

        ; 4. the high address 0x7f00_0000_0000: PML4[254] -> HPDPT -> HPD -> HPT -> BUF
        mov     edi, PML4
        mov     eax, HPDPT + P_RW
        mov     qword ptr [rdi + HIGH_PML4E], rax
        mov     edi, HPDPT
        mov     eax, HPD + P_RW
        mov     qword ptr [rdi], rax
        mov     edi, HPD
        mov     eax, HPT + P_RW
        mov     qword ptr [rdi], rax
        mov     edi, HPT
        mov     eax, BUF + P_RW
        mov     qword ptr [rdi], rax

        ; 5. paging on: EFER.LME (already set in the 64-bit start state), CR4.PAE, CR3, CR0.PG|WP
        mov     ecx, 0xc0000080         ; IA32_EFER
        rdmsr
        or      eax, 0x100              ; LME
        wrmsr
        mov     rax, cr4
        or      eax, 0x20               ; PAE
        mov     cr4, rax
        mov     eax, PML4
        mov     cr3, rax
        mov     rax, cr0
        or      eax, 0x80010000         ; PG | WP
        mov     cr0, rax                ; from the next fetch on, addresses are guest-virtual

        lea     rsi, [rip + msg_on]
        call    puts
        mov     rbx, cr3
        call    puthex
        call    newline

        ; 6. write through the high mapping, read back through the identity mapping
        lea     rsi, [rip + text1]
        movabs  rdi, 0x7f0000000000
        call    strcpy
        lea     rsi, [rip + msg_read1]
        call    puts
        mov     esi, BUF
        call    puts
        call    newline

        ; 7. edit the live high PTE to point at the next page, then reload CR3
        mov     edi, HPT
        mov     eax, BUF + 0x1000 + P_RW
        mov     qword ptr [rdi], rax
        mov     rax, cr3
        mov     cr3, rax                ; TLB flush: the old translation must not survive
        lea     rsi, [rip + text2]
        movabs  rdi, 0x7f0000000000
        call    strcpy
        lea     rsi, [rip + msg_read2]
        call    puts
        mov     esi, BUF + 0x1000
        call    puts
        call    newline
        lea     rsi, [rip + msg_still]
        call    puts
        mov     esi, BUF
        call    puts
        call    newline

        ; 8. Accessed (bit 5) and Dirty (bit 6) of the high PTE, set by the write in step 7
        lea     rsi, [rip + msg_a]
        call    puts
        mov     edi, HPT
        mov     rbx, qword ptr [rdi]
        mov     eax, ebx
        shr     eax, 5
        and     eax, 1
        add     al, 0x30
        call    putc
        lea     rsi, [rip + msg_d]
        call    puts
        mov     eax, ebx
        shr     eax, 6
        and     eax, 1
        add     al, 0x30
        call    putc
        call    newline
        hlt                             ; stop: exit status 0

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

; strcpy: copy the NUL-terminated text at rsi to rdi, NUL included (clobbers rsi, rdi, al)
strcpy:
        mov     al, byte ptr [rsi]
        mov     byte ptr [rdi], al
        inc     rsi
        inc     rdi
        test    al, al
        jnz     strcpy
        ret

; puthex: print rbx as 0x<hex> without leading zeros (clobbers rax, rcx, rdx, r8)
puthex:
        mov     al, 0x30                ; '0'
        call    putc
        mov     al, 0x78                ; 'x'
        call    putc
        mov     ecx, 60                 ; shift of the top nibble
        xor     r8d, r8d                ; becomes 1 at the first digit printed
hex_next:
        mov     rax, rbx
        shr     rax, cl
        and     eax, 0xf
        test    r8d, r8d
        jnz     hex_emit
        test    eax, eax
        jnz     hex_emit
        test    ecx, ecx                ; always print the last digit
        jnz     hex_skip
hex_emit:
        mov     r8d, 1
        lea     rdx, [rip + digits]
        mov     al, byte ptr [rdx + rax]
        call    putc
hex_skip:
        sub     ecx, 4
        jns     hex_next
        ret

digits:    .ascii  "0123456789abcdef"
msg_on:    .asciz  "x86-64 guest paging on, CR3 = "
text1:     .asciz  "paging works"
text2:     .asciz  "remapped"
msg_read1: .asciz  "wrote via 0x7f0000000000, read via 0x400000: "
msg_read2: .asciz  "after remap + CR3 reload, read via 0x401000: "
msg_still: .asciz  "0x400000 still holds: "
msg_a:     .asciz  "high PTE: A="
msg_d:     .asciz  " D="
