/*
 * A tiny ELF64 writer for loader tests: enough to produce valid executables with chosen
 * program headers and a .symtab, which tests then patch into every kind of malformed file.
 *
 * Layout: ELF header | program headers | segment bytes | .symtab | .strtab | section headers
 * (null, .symtab, .strtab).
 */

import { expect } from 'vitest';
import { BadGuestError } from '../../../emulator/image.js';
import { loadElf } from '../../../emulator/loaders/elf.js';

export interface TestSegment {
  vaddr: number;
  paddr?: number;
  data: Uint8Array;
  memsz?: number;
  flags: number; // PF_X=1 PF_W=2 PF_R=4
  type?: number; // default PT_LOAD
  align?: number; // p_align, default 1: the writer packs segment bytes without page alignment
}

export interface TestSymbol {
  name: string;
  value: number;
  size: number;
  type?: number; // STT_NOTYPE 0, OBJECT 1, FUNC 2, SECTION 3
  shndx?: number; // default 1 (defined)
}

export interface TestElf {
  machine: number;
  entry: number;
  segments: TestSegment[];
  symbols?: TestSymbol[];
  type?: number; // default ET_EXEC
}

export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const PHOFF = 64;

export function buildElf(spec: TestElf): Uint8Array {
  const syms = spec.symbols ?? [];
  const strtab: number[] = [0];
  const nameOff = syms.map((s) => {
    const off = strtab.length;
    strtab.push(...Buffer.from(s.name, 'latin1'), 0);
    return off;
  });
  const phSize = 56 * spec.segments.length;
  let at = PHOFF + phSize;
  const dataOff = spec.segments.map((s) => {
    const off = at;
    at += s.data.length;
    return off;
  });
  const symOff = at;
  const symSize = 24 * (syms.length + 1);
  const strOff = symOff + symSize;
  const shOff = (strOff + strtab.length + 7) & ~7;
  const total = shOff + 3 * 64;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  const u64 = (off: number, n: number) => {
    v.setUint32(off, n % 0x1_0000_0000, true);
    v.setUint32(off + 4, Math.floor(n / 0x1_0000_0000), true);
  };
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  v.setUint16(16, spec.type ?? 2, true);
  v.setUint16(18, spec.machine, true);
  v.setUint32(20, 1, true);
  u64(24, spec.entry);
  u64(32, PHOFF);
  u64(40, shOff);
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, spec.segments.length, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, 3, true);
  spec.segments.forEach((s, i) => {
    const h = PHOFF + 56 * i;
    v.setUint32(h, s.type ?? 1, true);
    v.setUint32(h + 4, s.flags, true);
    u64(h + 8, dataOff[i]);
    u64(h + 16, s.vaddr);
    u64(h + 24, s.paddr ?? s.vaddr);
    u64(h + 32, s.data.length);
    u64(h + 40, s.memsz ?? s.data.length);
    u64(h + 48, s.align ?? 1);
    b.set(s.data, dataOff[i]);
  });
  syms.forEach((s, i) => {
    const e = symOff + 24 * (i + 1);
    v.setUint32(e, nameOff[i], true);
    b[e + 4] = 0x10 | (s.type ?? 2); // STB_GLOBAL
    v.setUint16(e + 6, s.shndx ?? 1, true);
    u64(e + 8, s.value);
    u64(e + 16, s.size);
  });
  b.set(strtab, strOff);
  const sh = (i: number, type: number, off: number, size: number, link: number) => {
    const h = shOff + 64 * i;
    v.setUint32(h + 4, type, true);
    u64(h + 24, off);
    u64(h + 32, size);
    v.setUint32(h + 40, link, true);
    u64(h + 56, type === 2 ? 24 : 0);
  };
  sh(1, 2, symOff, symSize, 2);
  sh(2, 3, strOff, strtab.length, 0);
  return b;
}

/** Offset of field `field` (byte offset inside a 56-byte program header) of header i. */
export const phField = (i: number, field: number): number => PHOFF + 56 * i + field;

export function setU64(b: Uint8Array, off: number, n: number): Uint8Array {
  const c = b.slice();
  const v = new DataView(c.buffer);
  v.setUint32(off, n % 0x1_0000_0000, true);
  v.setUint32(off + 4, Math.floor(n / 0x1_0000_0000), true);
  return c;
}

export function setU16(b: Uint8Array, off: number, n: number): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint16(off, n, true);
  return c;
}

export function setU8(b: Uint8Array, off: number, n: number): Uint8Array {
  const c = b.slice();
  c[off] = n;
  return c;
}

export function setU32(b: Uint8Array, off: number, n: number): Uint8Array {
  const out = new Uint8Array(b);
  new DataView(out.buffer).setUint32(off, n, true);
  return out;
}

/** The one-line BadGuestError message loadElf refuses `bytes` with (fails the test otherwise). */
export function elfComplaint(bytes: Uint8Array, opts: Parameters<typeof loadElf>[2]): string {
  try {
    loadElf(bytes, 'g.elf', opts);
  } catch (e) {
    expect(e).toBeInstanceOf(BadGuestError);
    const msg = (e as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    return msg;
  }
  throw new Error('expected BadGuestError');
}
