/*
 * Lab `precopy`'s guests: c-writer-lab.elf with its defaults is c-writer (the same console on both
 * architectures), a patched image runs the parameters it was given and leaves the loaded image as
 * it was, and the DMA engine in the loop changes what the guest prints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { Machine } from '../../../emulator/machine.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import type { GuestImage } from '../../../emulator/image.js';
import { MEM_BYTES, patchWriter, writerPath, type WriterParams } from '../../../labs/precopy/cases.js';

const run = (image: GuestImage): { console: string; reason: string } => {
  const m = new Machine(image, { memBytes: MEM_BYTES });
  try {
    return { reason: m.run().reason, console: m.console };
  } finally {
    m.close();
  }
};
const SMALL: WriterParams = {
  wsPages: 40,
  hotPages: 6,
  passes: 2,
  steps: 300,
  filler: 3,
  seed: 7,
  dma: false,
};

describe('lab precopy: the guests', () => {
  for (const arch of ['x86_64', 'arm64'] as const)
    it(`${arch}: c-writer-lab.elf with its defaults prints what c-writer prints`, async () => {
      const image = await loadGuest(writerPath(arch), { memBytes: MEM_BYTES });
      const want = readFileSync(join(PACKAGE_ROOT, 'guests/expected', `c-writer-${arch}.txt`), 'utf8');
      expect(run(image).console).toBe(want);
    });

  it('a patched image runs its own parameters, and the image it came from is unchanged', async () => {
    const image = await loadGuest(writerPath('x86_64'), { memBytes: MEM_BYTES });
    const before = image.segments.map((s) => Buffer.from(s.data).toString('hex'));
    const plain = run(patchWriter(image, SMALL));
    expect(plain.reason).toBe('halt');
    expect(plain.console.split('\n')).toHaveLength(5); // header, two passes, checksum, ''
    expect(plain.console).toMatch(/^c-writer \(x86-64\): 40 pages, hot window 6\npass 1: 0x/);
    const dma = run(patchWriter(image, { ...SMALL, dma: true }));
    expect(dma.console.split('\n')[0]).toBe(plain.console.split('\n')[0]);
    expect(dma.console.split('\n')[1]).not.toBe(plain.console.split('\n')[1]); // RESULT folded in
    expect(run(patchWriter(image, SMALL)).console).toBe(plain.console);
    expect(image.segments.map((s) => Buffer.from(s.data).toString('hex'))).toEqual(before);
  });
});
