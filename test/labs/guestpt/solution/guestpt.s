; arch: x86_64
;
; Reference solution of lab `guestpt` (kept in test/ only: `lab start` never copies it).
; Builds 4-level tables at TABLES for every pair of the generated block below, plus a read-only,
; executable identity map of the image itself; turns paging on with NXE and WP; reads every page
; and writes every writable one; then hlt. No stack is used once paging is on.

.equ TABLES, 0x200000
.equ TABLE_QWORDS, 0x8000               ; 64 pages of tables, cleared first
.equ ADDR_MASK_LO, 0xfffff000

start:
        cld
        lea     rsp, [rip + start]      ; a stack below the image, for the calls made with paging off

        mov     edi, TABLES
        xor     eax, eax
        mov     ecx, TABLE_QWORDS
        rep stosq
        mov     r15d, TABLES + 0x1000   ; the next free table page (the PML4 is at TABLES)

        mov     r12d, 0x100000          ; the image: gva = gpa, read-only and executable
        lea     r13, [rip + image_end]
map_image:
        mov     rdi, r12
        mov     rsi, r12
        mov     edx, 2
        call    map
        add     r12, 0x1000
        cmp     r12, r13
        jb      map_image

        lea     rbx, [rip + pairs]
        lea     r14, [rip + pairs_end]
map_pairs:
        cmp     rbx, r14
        jae     paging_on
        mov     rdi, qword ptr [rbx]
        mov     rsi, qword ptr [rbx + 8]
        mov     rdx, qword ptr [rbx + 16]
        call    map
        add     rbx, 24
        jmp     map_pairs

paging_on:
        mov     ecx, 0xc0000080         ; IA32_EFER
        rdmsr
        or      eax, 0x900              ; LME | NXE
        wrmsr
        mov     rax, cr4
        or      eax, 0x20               ; PAE
        mov     cr4, rax
        mov     eax, TABLES
        mov     cr3, rax
        mov     rax, cr0
        or      eax, 0x80010000         ; PG | WP
        mov     cr0, rax

        lea     rbx, [rip + pairs]
touch:
        cmp     rbx, r14
        jae     done
        mov     rdi, qword ptr [rbx]
        mov     al, byte ptr [rdi]
        test    byte ptr [rbx + 16], 1
        jz      touch_next
        mov     byte ptr [rdi], al
touch_next:
        add     rbx, 24
        jmp     touch
done:
        hlt

; map: rdi = gva, rsi = gpa, edx = flags (bit 0 writable, bit 1 executable, bit 2 user)
; Upper levels grant everything (P, RW, US); the leaf alone restricts. Clobbers rax, rcx, r8-r10.
map:
        mov     r8d, TABLES
        mov     ecx, 39
map_level:
        mov     rax, rdi
        shr     rax, cl
        and     eax, 0x1ff
        lea     r9, [r8 + rax * 8]
        cmp     ecx, 12
        je      map_leaf
        mov     rax, qword ptr [r9]
        test    eax, 1
        jnz     map_down
        mov     rax, r15
        add     r15, 0x1000
        or      rax, 7
        mov     qword ptr [r9], rax
map_down:
        movabs  r10, 0x000ffffffffff000
        and     rax, r10
        mov     r8, rax
        sub     ecx, 9
        jmp     map_level
map_leaf:
        mov     rax, rsi
        or      rax, 1
        test    edx, 1
        jz      leaf_user
        or      rax, 2
leaf_user:
        test    edx, 4
        jz      leaf_exec
        or      rax, 4
leaf_exec:
        test    edx, 2
        jnz     leaf_store
        bts     rax, 63
leaf_store:
        mov     qword ptr [r9], rax
        ret

