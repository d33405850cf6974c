import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM } from '../../../emulator/arch.js';
import { BadGuestError } from '../../../emulator/image.js';
import { loadElf } from '../../../emulator/loaders/elf.js';
import {
  buildElf,
  EM_AARCH64,
  EM_X86_64,
  phField,
  setU16,
  setU64,
  setU8,
  type TestElf,
  elfComplaint,
} from './elf-builder.js';

const MEM = DEFAULT_GUEST_MEM;
const code = new Uint8Array([0x90, 0x90, 0xf4]);
const data = new Uint8Array([1, 2, 3, 4]);

const x86Spec = (): TestElf => ({
  machine: EM_X86_64,
  entry: 0x10_0001,
  segments: [
    { vaddr: 0x10_0000, data: code, flags: 5 },
    { vaddr: 0x10_1000, data, memsz: 0x100, flags: 6 },
  ],
  symbols: [
    { name: 'counter', value: 0x10_1000, size: 4, type: 1 },
    { name: '_start', value: 0x10_0000, size: 3, type: 2 },
    { name: 'zeros', value: 0x10_1004, size: 0xfc, type: 1 },
    { name: '$x', value: 0x10_0000, size: 0, type: 0 },
    { name: 'text', value: 0x10_0000, size: 0, type: 3 },
    { name: 'extern_thing', value: 0, size: 0, type: 0, shndx: 0 },
  ],
});
const goodX86 = buildElf(x86Spec());

const complaint = (bytes: Uint8Array, opts: Parameters<typeof loadElf>[2] = { memBytes: MEM }): string =>
  elfComplaint(bytes, opts);

describe('ELF64 loader: good files', () => {
  it('places PT_LOAD segments, keeps BSS size, entry and flags', () => {
    const img = loadElf(goodX86, 'g.elf', { memBytes: MEM });
    expect(img.arch).toBe('x86_64');
    expect(img.kind).toBe('elf');
    expect(img.entry).toBe(0x10_0001);
    expect(img.segments.map((s) => [s.gpa, Array.from(s.data), s.memSize, s.flags])).toEqual([
      [0x10_0000, [0x90, 0x90, 0xf4], 3, 'rx'],
      [0x10_1000, [1, 2, 3, 4], 0x100, 'rw'],
    ]);
  });

  it('keeps named code/data symbols from .symtab, sorted, without mapping or section symbols', () => {
    const img = loadElf(goodX86, 'g.elf', { memBytes: MEM });
    expect(img.symbols).toEqual([
      { name: '_start', addr: 0x10_0000, size: 3 },
      { name: 'counter', addr: 0x10_1000, size: 4 },
      { name: 'zeros', addr: 0x10_1004, size: 0xfc },
    ]);
  });

  it('loads an arm64 ELF in the virt RAM window', () => {
    const bytes = buildElf({
      machine: EM_AARCH64,
      entry: 0x4008_0000,
      segments: [{ vaddr: 0x4008_0000, data: new Uint8Array([0x1f, 0x20, 0x03, 0xd5]), flags: 5 }],
    });
    const img = loadElf(bytes, 'a.elf', { memBytes: MEM, arch: 'arm64' });
    expect(img.arch).toBe('arm64');
    expect(img.segments[0].gpa).toBe(0x4008_0000);
  });

  it('places by p_paddr and moves the entry and symbols from virtual to physical', () => {
    const high = 0x8000_0000_0000;
    const bytes = buildElf({
      machine: EM_X86_64,
      entry: high + 2,
      segments: [{ vaddr: high, paddr: 0x20_0000, data: code, flags: 5 }],
      symbols: [{ name: 'main', value: high + 1, size: 2 }],
    });
    const img = loadElf(bytes, 'g.elf', { memBytes: MEM });
    expect(img.segments[0].gpa).toBe(0x20_0000);
    expect(img.entry).toBe(0x20_0002);
    expect(img.symbols).toEqual([{ name: 'main', addr: 0x20_0001, size: 2 }]);
  });

  it('skips non-LOAD headers and empty LOAD segments', () => {
    const s = x86Spec();
    s.segments.push(
      { vaddr: 0, data: new Uint8Array(0), memsz: 0, flags: 4 },
      { vaddr: 0, data, flags: 4, type: 4 },
    );
    expect(loadElf(buildElf(s), 'g.elf', { memBytes: MEM }).segments).toHaveLength(2);
  });
});

describe('ELF64 loader: malformed files', () => {
  it('truncated header', () => {
    expect(complaint(goodX86.slice(0, 40))).toBe('g.elf: truncated: 40 bytes, an ELF64 header needs 64');
  });

  it('truncated program header table', () => {
    expect(complaint(goodX86.slice(0, 100))).toBe(
      'g.elf: truncated: program header table [64, 176) runs past end of file (100 bytes)',
    );
  });

  it('truncated segment bytes', () => {
    expect(complaint(goodX86.slice(0, 181))).toBe(
      'g.elf: truncated: PT_LOAD segment 1 file bytes [179, 183) run past end of file (181 bytes)',
    );
  });

  it('ELF32, big-endian, bad class', () => {
    expect(complaint(setU8(goodX86, 4, 1))).toBe(
      'g.elf: ELF32 (class 1) is not supported; nestvm loads ELF64 executables',
    );
    expect(complaint(setU8(goodX86, 5, 2))).toMatch(/big-endian ELF is not supported/);
    expect(complaint(setU8(goodX86, 4, 7))).toMatch(/invalid ELF class 7/);
  });

  it('wrong machine, or not the --arch asked for', () => {
    expect(complaint(setU16(goodX86, 18, 40))).toBe(
      'g.elf: machine 40 (EM_ARM) is not supported; nestvm runs EM_X86_64 and EM_AARCH64',
    );
    expect(complaint(goodX86, { memBytes: MEM, arch: 'arm64' })).toBe(
      'g.elf: this is an x86_64 ELF but --arch arm64 was given',
    );
  });

  it('not an executable', () => {
    expect(complaint(setU16(goodX86, 16, 1))).toMatch(/relocatable object \(ET_REL\)/);
    expect(complaint(setU16(goodX86, 16, 3))).toMatch(/\(ET_DYN\) is not supported/);
  });

  it('overlapping segments', () => {
    expect(complaint(setU64(goodX86, phField(1, 24), 0x10_0002))).toBe(
      'g.elf: PT_LOAD segment 0 at [0x100000, 0x100003) overlaps PT_LOAD segment 1 at [0x100002, 0x100102)',
    );
  });

  it('segments outside guest RAM', () => {
    expect(complaint(setU64(goodX86, phField(1, 24), MEM - 0x10))).toBe(
      'g.elf: PT_LOAD segment 1 at [0xfffff0, 0x10000f0) is outside guest RAM [0x0, 0x1000000)',
    );
    const arm = buildElf({
      machine: EM_AARCH64,
      entry: 0x0900_0000,
      segments: [{ vaddr: 0x0900_0000, data: code, flags: 5 }],
    });
    expect(complaint(arm)).toBe(
      'g.elf: PT_LOAD segment 0 at [0x9000000, 0x9000003) is outside guest RAM [0x40000000, 0x41000000)',
    );
  });

  it('entry point outside any executable segment', () => {
    expect(complaint(setU64(goodX86, 24, 0x10_1000))).toBe(
      'g.elf: entry point 0x101000 is not inside any executable segment',
    );
    expect(complaint(setU64(goodX86, 24, 0x50_0000))).toMatch(/entry point 0x500000 is not inside/);
  });

  it('file size larger than memory size, no loadable segment, absurd addresses', () => {
    expect(complaint(setU64(goodX86, phField(1, 40), 2))).toBe(
      'g.elf: PT_LOAD segment 1: p_filesz 0x4 exceeds p_memsz 0x2',
    );
    expect(complaint(setU16(goodX86, 56, 0))).toMatch(/no program headers/);
    expect(complaint(setU64(goodX86, 24, 2 ** 60))).toMatch(/e_entry 0x1000000000000000 is too large/);
  });

  it('symbol table pointing outside the file', () => {
    const shoff = Number(new DataView(goodX86.buffer).getBigUint64(40, true));
    expect(complaint(setU64(goodX86, shoff + 64 + 24, goodX86.length))).toMatch(/truncated: \.symtab/);
  });
});

describe('ELF64 loader: placement against a reference model (property)', () => {
  it('accepts exactly the segment sets that fit in RAM without overlap, with entry in code', () => {
    const seg = fc.record({
      page: fc.nat({ max: 40 }),
      pages: fc.integer({ min: 1, max: 4 }),
      exec: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(seg, { minLength: 1, maxLength: 5 }), fc.nat({ max: 45 }), (segs, entryPage) => {
        const mem = 32 * 4096;
        const spec: TestElf = {
          machine: EM_X86_64,
          entry: entryPage * 4096,
          segments: segs.map((s) => ({
            vaddr: s.page * 4096,
            data: new Uint8Array(8),
            memsz: s.pages * 4096,
            flags: s.exec ? 5 : 6,
          })),
        };
        const inRam = segs.every((s) => s.page + s.pages <= 32);
        const overlap = segs.some((a, i) =>
          segs.some((b, j) => i < j && a.page < b.page + b.pages && b.page < a.page + a.pages),
        );
        const entryOk = segs.some((s) => s.exec && entryPage >= s.page && entryPage < s.page + s.pages);
        const valid = inRam && !overlap && entryOk;
        let accepted = true;
        try {
          loadElf(buildElf(spec), 'p.elf', { memBytes: mem });
        } catch (e) {
          expect(e).toBeInstanceOf(BadGuestError);
          accepted = false;
        }
        expect(accepted).toBe(valid);
      }),
      { numRuns: 300 },
    );
  });
});
