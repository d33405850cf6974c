// Native memory stays flat over many engines and Machines in one process (malloc-tuning.ts).
import { describe, expect, it } from 'vitest';
import type { Arch } from '../../../emulator/arch.js';
import { Machine } from '../../../emulator/machine.js';
import { UC_PROT_ALL } from '../../../emulator/unicorn/constants.js';
import { tuneMalloc } from '../../../emulator/unicorn/malloc-tuning.js';
import { Unicorn } from '../../../emulator/unicorn/unicorn.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';
import { MiB, image } from './guest.js';

const ARCHES: readonly Arch[] = ['x86_64', 'arm64'];
const FORMATS: readonly FormatName[] = ['ept', 'npt', 's2'];
const HELLO: Record<Arch, string> = {
  x86_64: 'mov al, 0x68\n out 0xe9, al\n hlt',
  arm64:
    'movz x1, #0x0900, lsl #16\n movz w2, #0x68\n str w2, [x1]\n movz w0, #0x8\n movk w0, #0x8400, lsl #16\n hvc #0',
};

/* glibc on Linux, as Node's own report sees it. */
const glibc = (): boolean => {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  return process.platform === 'linux' && header?.glibcVersionRuntime !== undefined;
};

/*
 * Resident memory that live ArrayBuffers do not explain: guest RAM buffers wait for the GC, and
 * their pages are resident until it frees them, so they are taken out.
 */
const nativeResident = (): number => {
  const u = process.memoryUsage();
  return u.rss - u.arrayBuffers;
};

describe('malloc tuning', () => {
  it('fixes the mmap threshold on glibc and does nothing elsewhere, once', () => {
    const first = tuneMalloc();
    const want = process.env.MALLOC_MMAP_THRESHOLD_ ? 'environment' : glibc() ? 'tuned' : 'not-glibc';
    expect(first).toBe(want);
    expect(tuneMalloc({ MALLOC_MMAP_THRESHOLD_: '1' })).toBe(first);
  });

  it('keeps native memory flat over 400 engines and 40 Machines', async () => {
    const images = await Promise.all(ARCHES.map((a) => image(a, HELLO[a])));
    // Each engine maps guest RAM as a Machine does: a buffer that the GC frees later (glibc
    // raises its mmap threshold when it frees one) and that was written (resident until then).
    const engine = (i: number) => {
      const uc = Unicorn.open(ARCHES[i % 2]);
      const ram = new ArrayBuffer(MiB);
      new Uint8Array(ram).fill(0xf4);
      uc.mapPtr(0, ram, UC_PROT_ALL);
      uc.close();
    };
    const machine = (i: number) => {
      const m = new Machine(images[i % 2], { memBytes: 4 * MiB, format: FORMATS[i % 3], maxInsns: 1000 });
      try {
        expect(m.run().code).toBe(0);
      } finally {
        m.close();
      }
    };
    // Warm-up: the JIT, the first engine's one-time costs, the heap's first growth.
    for (let i = 0; i < 50; i++) engine(i);
    for (let i = 0; i < 12; i++) machine(i);
    const before = nativeResident();
    for (let i = 0; i < 400; i++) engine(i);
    for (let i = 0; i < 40; i++) machine(i);
    const grown = (nativeResident() - before) / MiB;
    // Without the tuning each engine keeps about half a MiB: some 200 MiB here, measured.
    expect(grown).toBeLessThan(48);
  });
});
