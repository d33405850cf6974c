/*
 * c-hello: a freestanding C guest. The same file builds for x86-64 and arm64; console.h holds
 * the only architecture-specific parts (how a character reaches the console, how to stop).
 *
 * It exercises what a loader must get right for C programs:
 *   .data  initialised globals, copied from the ELF file (seed[], greeting, rounds)
 *   .bss   zero-initialised globals, never in the file (composite[], visits); crt0 clears them
 *   stack  set by crt0 from the linker script's __stack_top
 *
 * Output (identical apart from the architecture name on the first line):
 *   Hello from C on nestvm (<arch>)!
 *   primes below 8192: 1028, sum 3908641
 *   fib(90) = 2880067194370816120
 *   bss was zero: yes, data rounds: 3
 */
#include "console.h"

#define SIEVE_N 8192

/* .data (external linkage, so the compiler keeps them as variables, and they show as symbols) */
const char *greeting = "Hello from C on nestvm (" ARCH_NAME ")!\n";
unsigned long seed[2] = {0, 1};
unsigned int rounds = 3;

/* .bss */
unsigned char composite[SIEVE_N];
unsigned long visits;

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

static int bss_is_zero(void) {
  for (int i = 0; i < SIEVE_N; i++)
    if (composite[i] != 0) return 0;
  return visits == 0;
}

/* Sieve of Eratosthenes over [2, SIEVE_N): count and sum of the primes. */
static void sieve(unsigned long *count, unsigned long *sum) {
  *count = 0;
  *sum = 0;
  for (unsigned long i = 2; i < SIEVE_N; i++) {
    visits++;
    if (composite[i]) continue;
    *count += 1;
    *sum += i;
    for (unsigned long j = i * i; j < SIEVE_N; j += i) composite[j] = 1;
  }
}

static unsigned long fib(unsigned int n) {
  unsigned long a = seed[0], b = seed[1];
  for (unsigned int i = 0; i < n; i++) {
    unsigned long t = a + b;
    a = b;
    b = t;
  }
  return a;
}

int main(void) {
  int zero = bss_is_zero();
  unsigned long count = 0, sum = 0;

  puts_(greeting);
  for (unsigned int r = 0; r < rounds; r++) sieve(&count, &sum); /* later rounds see a full sieve */
  puts_("primes below 8192: ");
  put_u64(count);
  puts_(", sum ");
  put_u64(sum);
  puts_("\nfib(90) = ");
  put_u64(fib(90));
  puts_("\nbss was zero: ");
  puts_(zero ? "yes" : "NO");
  puts_(", data rounds: ");
  put_u64(rounds);
  puts_("\n");
  return 0;
}
