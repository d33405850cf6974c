/*
 * x86-64 parts of c-pages: turning the guest's own paging on, and stopping with a failure.
 *
 * guest_paging_on identity-maps the first 16 MiB (guest RAM by default) with 2 MiB pages:
 *
 *   CR3 -> pml4[0] -> pdpt[0] -> pd[0..7]   each pd entry: base | PS | RW | P  (0x83)
 *
 * The three tables are page-aligned .bss, so crt0 has cleared them and they are ordinary guest
 * pages: under overcommit reclaim may evict them too, and the guest's walks fault them back in.
 * Then CR4.PAE, CR3, and CR0.PG | WP: from the next fetch on, addresses are guest-virtual (and,
 * identity-mapped, the same numbers).
 *
 * guest_fail writes 1 to QEMU's isa-debug-exit port 0xF4: exit status (1 << 1) | 1 = 3.
 */
#ifndef ARCH_H
#define ARCH_H

#define PTE_P 0x1UL
#define PTE_RW 0x2UL
#define PTE_PS 0x80UL
#define LARGE_PAGE 0x200000UL

static unsigned long pml4[512] __attribute__((aligned(4096)));
static unsigned long pdpt[512] __attribute__((aligned(4096)));
static unsigned long pd[512] __attribute__((aligned(4096)));

static inline __attribute__((unused)) void guest_paging_on(void) {
  pml4[0] = (unsigned long)pdpt | PTE_RW | PTE_P;
  pdpt[0] = (unsigned long)pd | PTE_RW | PTE_P;
  for (unsigned long i = 0; i < 8; i++) pd[i] = i * LARGE_PAGE | PTE_PS | PTE_RW | PTE_P;
  unsigned long r;
  __asm__ volatile("mov %%cr4, %0" : "=r"(r));
  __asm__ volatile("mov %0, %%cr4" : : "r"(r | 0x20UL) : "memory"); /* PAE */
  __asm__ volatile("mov %0, %%cr3" : : "r"((unsigned long)pml4) : "memory");
  __asm__ volatile("mov %%cr0, %0" : "=r"(r));
  __asm__ volatile("mov %0, %%cr0" : : "r"(r | 0x80010000UL) : "memory"); /* PG | WP */
}

static inline void guest_fail(void) {
  __asm__ volatile("outb %0, %1" : : "a"((char)1), "Nd"((unsigned short)0xf4));
  for (;;) __asm__ volatile("hlt");
}

#endif
