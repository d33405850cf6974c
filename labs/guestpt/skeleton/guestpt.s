; arch: x86_64
;
; Lab `guestpt`: a guest that builds its own page tables. Read README.md first.
;
; nestvm starts this guest in 64-bit mode with paging off (guest-virtual = guest-physical), at
; `start`, loaded at guest-physical 0x10_0000; guest RAM is [0, 8 MiB). Your guest must:
;   1. build 4-level page tables (somewhere in RAM you choose; 0x20_0000 is free) that map each
;      pair of the block at the end of this file, gva -> gpa, 4 KiB pages, with exactly its rights,
;      and map this image itself (gva = gpa, from 0x10_0000 to image_end) so it keeps running;
;   2. turn paging on: EFER.LME and EFER.NXE, CR4.PAE, CR3, then CR0.PG and CR0.WP;
;   3. read one byte of every pair's page, and write one byte to every writable one;
;   4. hlt.
; No page other than your writable pairs may be writable once paging is on (so no stack then:
; make no calls after step 2).
;
; Grade with:  nestvm lab grade guestpt .

start:
        ; TODO: steps 1 to 3 (see README.md, "Task")
        hlt
