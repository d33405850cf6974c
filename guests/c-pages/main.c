/*
 * c-pages: a freestanding C guest that touches 300 pages, made for host memory smaller than guest
 * memory (`nestvm run c-pages --mem 16M --host-mem 1M`). The same file builds for x86-64 and
 * arm64, with the guest's own paging off (c-pages.elf) or on (c-pages-paging.elf, -DGUEST_PAGING=1).
 *
 *   .bss  words[300][512]: 300 pages, 1.2 MiB, never in the file; crt0 clears it (first touch)
 *   pass 1 writes every 8-byte word: word i of page p <- mix(p, i), which differs for every word
 *   pass 2 reads every word back, checks it and folds it into a checksum
 *
 * Under overcommit most pages lose their frame to reclaim between the passes and come back from
 * the host's swap store; a page that came back stale, zero or in another page's place fails the
 * check. The checksum depends only on the pattern, so the console is the same however little host
 * memory there is:
 *
 *   c-pages (<arch>): 300 pages, guest paging off|on
 *   checksum 0x................ over 153600 words: all as written
 *
 * A word that reads back wrong prints "MISMATCH page P word W" and stops with a failing status
 * (arch.h: isa-debug-exit 1 on x86-64, semihosting exit 1 on arm64).
 */
#include "console.h"
#include "arch.h"

#ifndef GUEST_PAGING
#define GUEST_PAGING 0
#endif

#define PAGES 300
#define WORDS (4096 / 8)

unsigned long words[PAGES][WORDS] __attribute__((aligned(4096)));

static unsigned long mix(unsigned long page, unsigned long word) {
  unsigned long x = (page << 12 | word << 3) * 0x9e3779b97f4a7c15UL;
  return x ^ (x >> 29);
}

static void print(const char *s) {
  for (; *s != 0; s++) console_putc(*s);
}

/* v in decimal */
static void print_dec(unsigned long v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) console_putc(digits[--n]);
}

/* v as 0x and 16 hex digits */
static void print_hex16(unsigned long v) {
  print("0x");
  for (int shift = 60; shift >= 0; shift -= 4) console_putc("0123456789abcdef"[(v >> shift) & 15]);
}

int main(void) {
  if (GUEST_PAGING) guest_paging_on();
  print("c-pages (" ARCH_NAME "): ");
  print_dec(PAGES);
  print(GUEST_PAGING ? " pages, guest paging on\n" : " pages, guest paging off\n");

  for (unsigned long p = 0; p < PAGES; p++)
    for (unsigned long w = 0; w < WORDS; w++) words[p][w] = mix(p, w);
  __asm__ volatile("" : : : "memory"); /* the reads below really read memory */

  unsigned long sum = 0;
  for (unsigned long p = 0; p < PAGES; p++) {
    for (unsigned long w = 0; w < WORDS; w++) {
      unsigned long v = words[p][w];
      if (v != mix(p, w)) {
        print("MISMATCH page ");
        print_dec(p);
        print(" word ");
        print_dec(w);
        print("\n");
        guest_fail();
      }
      sum = (sum << 7 | sum >> 57) ^ v;
    }
  }
  print("checksum ");
  print_hex16(sum);
  print(" over ");
  print_dec((unsigned long)PAGES * WORDS);
  print(" words: all as written\n");
  return 0;
}
