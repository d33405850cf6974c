/*
 * c-writer: a freestanding C guest that keeps writing memory, the workload `nestvm migrate`
 * moves while it runs. The same file builds for x86-64 and arm64 with c-hello's crt0.S, link.ld
 * and console.h (the build scripts point at them).
 *
 * The working set is WS_PAGES pages of .bss (crt0 clears them, so every one is written before
 * main starts). main then
 *   1. fills every page with words drawn from a 64-bit LCG (one word per 64 bytes);
 *   2. runs PASSES passes of STEPS steps: each step draws the next LCG value, stores it in one
 *      page of a hot window of HOT_PAGES pages (the window moves on by HOT_PAGES / 2 pages each
 *      pass), and works FILLER more LCG steps, so pages are written at a steady rate per
 *      instruction; after each pass it prints the pass and the LCG state;
 *   3. folds every word of the working set into a checksum, prints it, and returns (status 0).
 *
 * Output:
 *   c-writer (<arch>): 160 pages, hot window 24
 *   pass 1: 0x...        (one line per pass)
 *   checksum 0x...
 *
 * The whole run is about 1.5 million instructions. Every value depends on every earlier one, so
 * a page that a migration lost or copied stale changes the checksum.
 *
 * Built with -DWRITER_PARAMS (c-writer-lab.elf, for the `precopy` lab) the same program reads its
 * sizes, rate and LCG seed from `writer_params`, words in .data that the lab's grader patches in
 * the image for each seeded guest (labs/precopy/cases.ts), so one build gives every variant. With
 * `dma` set it also drives the nestvm-dma engine (emulator/devices/dma.ts): SRC, DST and LEN are
 * programmed once, then each pass starts a COPY of the first page onto the last and folds the
 * engine's RESULT into the LCG state, so a migration that drops the device's registers, or a
 * page the device wrote, changes what the guest prints. The defaults give c-writer's own run.
 */
#include "console.h"

#define PAGE_WORDS 512
#define WS_PAGES 160
#define HOT_PAGES 24
#define PASSES 6
#define STEPS 4096
#define FILLER 6

#ifdef WRITER_PARAMS
#define WS_MAX WS_PAGES
struct writer_params {
  unsigned long ws_pages, hot_pages, passes, steps, filler, seed, dma;
};
volatile struct writer_params writer_params = {WS_PAGES, HOT_PAGES, PASSES, STEPS, FILLER, 1, 0};
#define P(field, constant) (writer_params.field)
#if defined(__x86_64__)
#define DMA_BASE 0xfeb00000UL
#else
#define DMA_BASE 0x09100000UL
#endif
/* nestvm-dma's 64-bit registers by index: SRC 1, DST 2, LEN 3, OP 5, RESULT 8. */
#define DMA_REG(i) (((volatile unsigned long *)DMA_BASE)[i])
#else
#define WS_MAX WS_PAGES
#define P(field, constant) (constant)
#endif

unsigned long ws[WS_MAX][PAGE_WORDS] __attribute__((aligned(4096)));

static unsigned long lcg(unsigned long x) {
  return x * 6364136223846793005UL + 1442695040888963407UL;
}

static void puts_(const char *s) {
  while (*s) console_putc(*s++);
}

static void put_u64(unsigned long v) {
  char buf[21];
  int i = 20;
  buf[i] = 0;
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  puts_(&buf[i]);
}

static void put_hex(unsigned long v) {
  puts_("0x");
  for (int shift = 60; shift >= 0; shift -= 4) console_putc("0123456789abcdef"[(v >> shift) & 15]);
}

static unsigned long fill(unsigned long x) {
  for (int p = 0; p < (int)P(ws_pages, WS_PAGES); p++)
    for (int w = 0; w < PAGE_WORDS; w += 8) {
      x = lcg(x);
      ws[p][w] = x;
    }
  return x;
}

/* One pass: STEPS stores into the hot window that starts at page `first`. */
static unsigned long pass(unsigned long x, int first) {
  for (int s = 0; s < (int)P(steps, STEPS); s++) {
    x = lcg(x);
    int page = (first + (int)((x >> 33) % P(hot_pages, HOT_PAGES))) % (int)P(ws_pages, WS_PAGES);
    ws[page][(x >> 20) & (PAGE_WORDS - 1)] ^= x;
    for (int f = 0; f < (int)P(filler, FILLER); f++) x = lcg(x);
  }
  return x;
}

static unsigned long checksum(void) {
  unsigned long sum = 0;
  for (int p = 0; p < (int)P(ws_pages, WS_PAGES); p++)
    for (int w = 0; w < PAGE_WORDS; w++) sum = (sum ^ ws[p][w]) * 1099511628211UL;
  return sum;
}

int main(void) {
  puts_("c-writer (" ARCH_NAME "): ");
  put_u64(P(ws_pages, WS_PAGES));
  puts_(" pages, hot window ");
  put_u64(P(hot_pages, HOT_PAGES));
  puts_("\n");
  unsigned long x = fill(P(seed, 1));
#ifdef WRITER_PARAMS
  if (writer_params.dma) {
    DMA_REG(1) = (unsigned long)ws[0];
    DMA_REG(2) = (unsigned long)ws[writer_params.ws_pages - 1];
    DMA_REG(3) = sizeof ws[0];
  }
#endif
  for (int k = 0; k < (int)P(passes, PASSES); k++) {
    x = pass(x, k * (int)(P(hot_pages, HOT_PAGES) / 2));
#ifdef WRITER_PARAMS
    if (writer_params.dma) {
      DMA_REG(5) = 1; /* COPY: ws[0] onto the last page of the working set */
      x ^= DMA_REG(8);
    }
#endif
    puts_("pass ");
    put_u64((unsigned long)k + 1);
    puts_(": ");
    put_hex(x);
    puts_("\n");
  }
  puts_("checksum ");
  put_hex(checksum());
  puts_("\n");
  return 0;
}
