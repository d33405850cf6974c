/*
 * Giving freed engine memory back to the system: one glibc malloc setting, made once per process
 * before the first engine opens.
 *
 * What was found (bench/machine-churn.ts). Opening and closing engines in one process made the
 * resident set grow by about 0.46 MiB per engine (2,000 Machines: 76 MiB to over 1 GiB), while the
 * JS heap stayed at a few MiB. glibc's mallinfo2 said whose memory it was: the main arena's bytes
 * in use stayed flat at 5 MiB while its FREE bytes grew by 0.46 MiB per engine, so nothing leaked;
 * freed memory stayed in the heap, and malloc_info listed about 150 free chunks between 512 KiB and
 * 13 MiB after 250 engines. The chunk behind it is the translated-block hash table (QEMU's qht,
 * 8,192 buckets of 64 bytes = 512 KiB) that every engine allocates with posix_memalign when it
 * first builds its CPU (tcg_exec_init). Two glibc rules, as measured with glibc 2.36, keep it:
 *
 *  - The mmap threshold moves. Requests of at least M_MMAP_THRESHOLD (128 KiB at start) get their
 *    own mapping, which free() hands back to the system. But freeing such a mapping raises the
 *    threshold to that chunk's size (up to 32 MiB). A Node process soon frees a larger one
 *    (a guest RAM buffer collected by the GC, a V8 zone segment), and from then on the 512 KiB
 *    table comes from the heap.
 *  - A freed aligned chunk is not reused for the next aligned request. posix_memalign asks for
 *    size + alignment + a minimum chunk and cuts the aligned piece out of that. The piece it frees
 *    is smaller than what the next engine's posix_memalign asks for, and its neighbours are still
 *    in use, so the next table is cut from fresh heap. Each engine leaves a 512 KiB hole whose
 *    pages were written, and they stay resident.
 *
 * The setting. mallopt(M_MMAP_THRESHOLD, 128 KiB) fixes the threshold at glibc's own starting
 * value and turns the raising off. Every allocation of 128 KiB or more, the hash table among them,
 * then gets its own mapping and goes back to the system when freed. The resident set stays flat
 * over any number of engines. The price is page faults: a Machine's guest RAM buffer is now a
 * fresh mapping each time, whose pages the kernel zeroes on first touch, where the heap used to
 * hand back the last Machine's pages. Building and running a tiny Machine with 16 MiB of guest
 * RAM takes about 25 ms of CPU time instead of 18 (bench/machine-churn.ts; a 512 KiB threshold
 * costs the same), while guest speed is unchanged (bench/loop-ips.ts). Other ways were tried:
 * `MALLOC_ARENA_MAX=1` does not stop the growth, since the engine runs on the main thread's
 * arena. Shrinking the engine's code buffer (UC_CTL_TCG_BUFFER_SIZE) would not help: it never
 * comes from malloc (a malloc-logging preload saw only the 512 KiB table and 64 KiB pieces). A pool of reused engines would have to reset every
 * register and system register between Machines.
 *
 * Invariants: tuneMalloc() acts at most once per process and never throws. It changes malloc only
 * on Linux with glibc (gnu_get_libc_version resolves); elsewhere (macOS, musl) it does nothing.
 * A MALLOC_MMAP_THRESHOLD_ in the environment is the user's choice (glibc has applied it already),
 * and it is left alone. The setting is process-wide, so a program that embeds nestvm gets it too
 * (README, "Library API").
 */
import koffi from 'koffi';

/* mallopt parameter numbers, from glibc's malloc.h. */
const M_MMAP_THRESHOLD = -3;

/** The fixed threshold: glibc's own starting value. */
export const MMAP_THRESHOLD_BYTES = 128 * 1024;

/** What tuneMalloc found: set here, set by the user's environment, or not glibc at all. */
export type MallocTuning = 'tuned' | 'environment' | 'not-glibc' | 'refused';

let outcome: MallocTuning | undefined;

/** Fix glibc's mmap threshold (see the essay); the outcome, the same on every later call. */
export function tuneMalloc(env: NodeJS.ProcessEnv = process.env): MallocTuning {
  outcome ??= apply(env);
  return outcome;
}

function apply(env: NodeJS.ProcessEnv): MallocTuning {
  if (process.platform !== 'linux') return 'not-glibc';
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined && env.MALLOC_MMAP_THRESHOLD_ !== '') return 'environment';
  let mallopt: (param: number, value: number) => number;
  try {
    const libc = koffi.load('libc.so.6');
    libc.func('const char *gnu_get_libc_version()');
    const fn = libc.func('int mallopt(int param, int value)');
    mallopt = (param, value) => fn(param, value) as number;
  } catch {
    return 'not-glibc';
  }
  // mallopt answers 1 on success and 0 when it refuses the value.
  return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) === 1 ? 'tuned' : 'refused';
}
