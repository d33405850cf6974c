import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadElf } from '../../../emulator/loaders/elf.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { buildElf, EM_X86_64, phField, setU32, setU64, setU8, elfComplaint } from './elf-builder.js';

const MEM = 16 << 20;
const aligned = () =>
  buildElf({
    machine: EM_X86_64,
    entry: 0x10_0000,
    segments: [{ vaddr: 0x10_0000, data: new Uint8Array([0xf4]), flags: 5, align: 1 }],
  });

const complaint = (bytes: Uint8Array): string => elfComplaint(bytes, { memBytes: MEM });

describe('ELF header fields the loader checks', () => {
  it('loads the unmodified file', () => {
    expect(loadElf(aligned(), 'g.elf', { memBytes: MEM }).entry).toBe(0x10_0000);
  });

  it('EI_VERSION and e_version must be 1', () => {
    expect(complaint(setU8(aligned(), 6, 0))).toMatch(/EI_VERSION 0 \(expected 1/);
    expect(complaint(setU32(aligned(), 20, 2))).toMatch(/e_version 2 \(expected 1/);
  });

  it('e_phoff may not point into the ELF header', () => {
    expect(complaint(setU64(aligned(), 32, 8))).toMatch(/e_phoff 8 points into the ELF header/);
  });

  it('p_align must be 0, 1 or a power of two', () => {
    expect(complaint(setU64(aligned(), phField(0, 48), 3))).toMatch(/p_align 0x3 is not a power of two/);
    expect(complaint(setU64(aligned(), phField(0, 48), 2 ** 33 + 1))).toMatch(/not a power of two/);
    for (const ok of [0, 1])
      expect(() => loadElf(setU64(aligned(), phField(0, 48), ok), 'g', { memBytes: MEM })).not.toThrow();
  });

  it('with p_align above 1, p_offset and p_paddr sit where p_vaddr does', () => {
    // The writer packs the segment at offset 0x78: with p_align 8 that matches vaddr 0x100000.
    const packed = setU64(aligned(), phField(0, 48), 8);
    expect(() => loadElf(packed, 'g', { memBytes: MEM })).not.toThrow();
    expect(complaint(setU64(aligned(), phField(0, 48), 0x1000))).toMatch(
      /p_offset 0x78 is not aligned like p_vaddr/,
    );
    const paddr = setU64(packed, phField(0, 24), 0x10_0003);
    expect(complaint(paddr)).toMatch(
      /p_paddr 0x100003 is not aligned like p_vaddr 0x100000 \(modulo p_align 0x8\)/,
    );
  });
});

describe('loadGuest looks at the file before reading it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nestvm-load-'));

  it('refuses a device without reading it', async () => {
    await expect(loadGuest('/dev/zero', { arch: 'x86_64', memBytes: MEM })).rejects.toThrow(
      /\/dev\/zero: cannot read guest: not a regular file/,
    );
  });

  it('refuses a directory', async () => {
    await expect(loadGuest(dir, { arch: 'x86_64', memBytes: MEM })).rejects.toThrow(/is a directory/);
  });

  it('refuses a file larger than guest RAM, and takes one that fits exactly', async () => {
    const path = join(dir, 'big.bin');
    writeFileSync(path, new Uint8Array(8193).fill(0xf4));
    await expect(loadGuest(path, { arch: 'x86_64', load: 0, memBytes: 8192 })).rejects.toThrow(
      /8193 bytes is larger than guest RAM \(8192 bytes/,
    );
    writeFileSync(path, new Uint8Array(8192).fill(0xf4));
    const img = await loadGuest(path, { arch: 'x86_64', load: 0, memBytes: 8192 });
    expect(img.segments[0].data.length).toBe(8192);
  });
});
