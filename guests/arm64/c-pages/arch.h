/*
 * arm64 parts of c-pages: turning the guest's own stage-1 translation on, and stopping with a
 * failure.
 *
 * guest_paging_on identity-maps guest RAM's first 16 MiB with 2 MiB Normal blocks and the PL011's
 * 2 MiB with a Device block (4 KiB granule, T0SZ 16, so the walk starts at level 0):
 *
 *   TTBR0 -> l0[0] -> l1[0] -> l2dev[72]     0x0900_0000 | UXN | PXN | AF | AttrIndx 1 | block
 *                     l1[1] -> l2ram[0..7]   0x4000_0000 + i * 2 MiB | AF | SH inner | AttrIndx 0
 *
 * The tables are page-aligned .bss, so crt0 has cleared them and they are ordinary guest pages:
 * under overcommit reclaim may evict them too, and the guest's walks fault them back in. MAIR
 * attr0 is Normal write-back (0xff), attr1 Device-nGnRnE (0x00); then TTBR0, a TLB flush, and
 * SCTLR_EL1.M | C | I.
 *
 * guest_fail stops through semihosting SYS_EXIT with reason ApplicationExit and code 1 (status 1).
 */
#ifndef ARCH_H
#define ARCH_H

#define DESC_TABLE 0x3UL
#define BLOCK_NORMAL 0x701UL
#define BLOCK_DEVICE 0x0060000000000405UL
#define RAM_BASE 0x40000000UL
#define LARGE_PAGE 0x200000UL

static unsigned long l0[512] __attribute__((aligned(4096)));
static unsigned long l1[512] __attribute__((aligned(4096)));
static unsigned long l2dev[512] __attribute__((aligned(4096)));
static unsigned long l2ram[512] __attribute__((aligned(4096)));

static inline __attribute__((unused)) void guest_paging_on(void) {
  l0[0] = (unsigned long)l1 | DESC_TABLE;
  l1[0] = (unsigned long)l2dev | DESC_TABLE;
  l1[1] = (unsigned long)l2ram | DESC_TABLE;
  l2dev[0x09000000UL / LARGE_PAGE] = 0x09000000UL | BLOCK_DEVICE;
  for (unsigned long i = 0; i < 8; i++) l2ram[i] = (RAM_BASE + i * LARGE_PAGE) | BLOCK_NORMAL;
  __asm__ volatile("msr mair_el1, %0" : : "r"(0xffUL));
  __asm__ volatile("msr tcr_el1, %0" : : "r"(0x200903510UL)); /* T0SZ 16, 4K, WB walks, EPD1, 40-bit */
  __asm__ volatile("msr ttbr0_el1, %0\n\tisb\n\ttlbi vmalle1\n\tdsb ish\n\tisb" : : "r"(l0) : "memory");
  unsigned long s;
  __asm__ volatile("mrs %0, sctlr_el1" : "=r"(s));
  __asm__ volatile("msr sctlr_el1, %0\n\tisb" : : "r"(s | 0x1005UL) : "memory"); /* M | C | I */
}

static inline void guest_fail(void) {
  static const unsigned long block[2] = {0x20026, 1};
  register unsigned long w0 __asm__("x0") = 0x18;
  register const unsigned long *x1 __asm__("x1") = block;
  __asm__ volatile("hlt #0xf000" : : "r"(w0), "r"(x1) : "memory");
  for (;;) __asm__ volatile("wfi");
}

#endif
