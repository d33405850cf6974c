import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM, LAYOUT } from '../../../emulator/arch.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { listSamples } from '../../../emulator/loaders/samples.js';

const root = join(import.meta.dirname, '../../..');
const samples = listSamples(root);

describe('guests/index.json', () => {
  it('lists hello, loop, memtouch, c-hello, c-writer, paging, dma, dirtylog, pattern, c-pages and smp-sum for both architectures', () => {
    expect(samples.map((s) => s.name).sort()).toEqual(
      [
        'hello',
        'loop',
        'memtouch',
        'c-hello',
        'c-writer',
        'paging',
        'dma',
        'dirtylog',
        'pattern',
        'c-pages',
        'smp-sum',
      ]
        .flatMap((n) => [`${n}-arm64`, `${n}-x86_64`])
        .sort(),
    );
  });

  for (const s of samples) {
    it(`${s.name}: loads as ${s.arch}, has an expected output, and an exit status that fits its exit`, async () => {
      const img = await loadGuest(join(root, s.path), { memBytes: DEFAULT_GUEST_MEM });
      expect(img.arch).toBe(s.arch);
      expect(img.entry).toBe(LAYOUT[s.arch].defaultLoad);
      expect(existsSync(join(root, s.expected))).toBe(true);
      const text = readFileSync(join(root, s.expected), 'latin1');
      expect(text.endsWith('\n')).toBe(true);
      expect(text).toContain(s.arch === 'arm64' ? 'arm64' : 'x86-64');
      if (s.exit === 'isa-debug-exit') expect(s.exitStatus % 2).toBe(1);
      else if (s.exit === 'limit') expect([s.exitStatus, s.maxInsns! > 0]).toEqual([6, true]);
      else expect([s.exitStatus, s.maxInsns]).toEqual([0, undefined]);
    });
  }

  it('x86-64 and arm64 samples compute the same numbers', () => {
    const out = (name: string) =>
      readFileSync(join(root, samples.find((s) => s.name === name)!.expected), 'latin1').split('\n');
    for (const n of ['loop', 'memtouch', 'c-hello', 'c-pages']) {
      expect(out(`${n}-x86_64`).slice(1)).toEqual(out(`${n}-arm64`).slice(1));
    }
  });
});

describe('the committed C guests', () => {
  for (const arch of ['x86_64', 'arm64'] as const) {
    it(`${arch} c-hello.elf has code, data with BSS, and C symbols`, async () => {
      const img = await loadGuest(join(root, `guests/${arch}/c-hello/c-hello.elf`), {
        memBytes: DEFAULT_GUEST_MEM,
      });
      expect(img.kind).toBe('elf');
      expect(img.segments.map((s) => s.flags)).toEqual(['rx', 'rw']);
      const [text, data] = img.segments;
      expect(text.gpa).toBe(LAYOUT[arch].defaultLoad);
      expect(data.memSize).toBeGreaterThan(data.data.length + 8192); // .bss sieve + stack
      const names = img.symbols.map((s) => s.name);
      for (const n of [
        '_start',
        'main',
        'greeting',
        'seed',
        'rounds',
        'composite',
        'visits',
        '__stack_top',
      ]) {
        expect(names).toContain(n);
      }
      const sym = (n: string) => img.symbols.find((s) => s.name === n)!;
      expect(sym('_start').addr).toBe(img.entry);
      expect(sym('composite').size).toBe(8192);
      // .data is in the file: seed = {0, 1} as two 64-bit words
      const off = sym('seed').addr - data.gpa;
      expect(Array.from(data.data.subarray(off, off + 16))).toEqual([
        0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
      ]);
      // .bss is not: it lies past the file bytes, inside memSize
      expect(sym('composite').addr - data.gpa).toBeGreaterThanOrEqual(data.data.length);
    });
  }
});
