/*
 * The cases of the `entries` lab, each with the answer nestvm's own formats give (mmu/gpt/ept.ts,
 * npt.ts, stage2.ts through the library's FORMATS). The student's functions speak the manuals'
 * language: a 64-bit entry is a BigInt, rights are { r, w, x }, a frame is a Number.
 *
 * Random cases come from the check's seeded generator: frames anywhere in the format's address
 * field (bits 51:12, or 47:12 for stage-2), every non-empty rights set, both memory types, and,
 * for the decoders, Accessed and Dirty set as the hardware would set them and bits the formats
 * ignore turned on, so that a decoder that does not mask its fields is caught.
 */
import { FORMATS, FORMAT_NAMES, hfn, type FormatName, type PteWords } from '../../index.js';
import type { Case } from '../framework/case-check.js';
import { expectBigInt, hex64 } from '../framework/case-check.js';
import type { Rng } from '../framework/lab-api.js';

export interface Rights {
  r: boolean;
  w: boolean;
  x: boolean;
}

const FRAME_BITS: Record<FormatName, number> = { ept: 40, npt: 40, s2: 36 };
/* Bits (of the 64-bit entry) that nestvm's format ignores in a leaf, set in decode cases. */
const IGNORED: Record<FormatName, readonly number[]> = {
  ept: [10, 11, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62],
  npt: [8, 9, 10, 11, 52, 53, 54, 55, 56, 57, 58],
  s2: [55, 56, 57, 58],
};

export const toBig = (w: PteWords): bigint => (BigInt(w.hi >>> 0) << 32n) | BigInt(w.lo >>> 0);
const lo32 = (v: bigint): number => Number(v & 0xffff_ffffn);
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffff_ffffn);

export const protOfRights = (r: Rights): number => (r.r ? 1 : 0) | (r.w ? 2 : 0) | (r.x ? 4 : 0);
export const rightsOfProt = (p: number): Rights => ({ r: (p & 1) !== 0, w: (p & 2) !== 0, x: (p & 4) !== 0 });
const rightsText = (r: Rights): string => (r.r ? 'r' : '-') + (r.w ? 'w' : '-') + (r.x ? 'x' : '-');
const hexN = (n: number): string => '0x' + n.toString(16);

/* A frame number of `bits` bits, biased towards the ends of the field (where masks go wrong). */
export function randomFrame(rng: Rng, bits: number): number {
  const top = 2 ** bits;
  switch (rng.int(4)) {
    case 0:
      return top - 1 - rng.int(16);
    case 1:
      return rng.int(256);
    default:
      return rng.int(2 ** 20) + rng.int(2 ** (bits - 20)) * 2 ** 20;
  }
}

/* The leaf nestvm builds, as a BigInt. */
function leafOf(f: FormatName, frame: number, prot: number, mt: 'wb' | 'uc'): bigint {
  const out = { lo: 0, hi: 0 };
  FORMATS[f].leaf(out, hfn(frame), prot, mt);
  return toBig(out);
}

export function encodeLeafCases(f: FormatName, rng: Rng, count: number): Case[] {
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const frame = i === 0 ? 0 : randomFrame(rng, FRAME_BITS[f]);
    const rights = rightsOfProt(i < 7 ? i + 1 : rng.range(1, 7));
    const mt = i % 3 === 2 ? 'uc' : 'wb';
    out.push({
      what: `'${f}', frame ${hexN(frame)}, ${rightsText(rights)}, '${mt}'`,
      args: [f, frame, rights, mt],
      judge: expectBigInt(leafOf(f, frame, protOfRights(rights), mt)),
    });
  }
  return out;
}

export function encodeTableCases(rng: Rng, count: number): Case[] {
  return Array.from({ length: count }, (_, i) => {
    const f = FORMAT_NAMES[i % 3];
    const frame = randomFrame(rng, FRAME_BITS[f]);
    const want = { lo: 0, hi: 0 };
    FORMATS[f].table(want, hfn(frame));
    return { what: `'${f}', frame ${hexN(frame)}`, args: [f, frame], judge: expectBigInt(toBig(want)) };
  });
}

export function rootPointerCases(rng: Rng, vmid: number, count: number): Case[] {
  return Array.from({ length: count }, (_, i) => {
    const f = FORMAT_NAMES[i % 3];
    const frame = randomFrame(rng, FRAME_BITS[f]);
    const opts = { adEnabled: i % 2 === 0, vmid: i < 3 ? vmid : rng.int(0x10000) };
    const want = { lo: 0, hi: 0 };
    FORMATS[f].rootPointer(want, hfn(frame), opts);
    return {
      what: `'${f}', root frame ${hexN(frame)}, { adEnabled: ${opts.adEnabled}, vmid: ${hexN(opts.vmid)} }`,
      args: [f, frame, opts],
      judge: expectBigInt(toBig(want)),
    };
  });
}

export interface DecodedLeaf {
  present: boolean;
  frame: number;
  rights: Rights;
  memType: 'wb' | 'uc';
  accessed: boolean;
  dirty: boolean;
}

/* What nestvm's format reads from a present leaf. */
function decodeByNestvm(f: FormatName, v: bigint): DecodedLeaf {
  const fmt = FORMATS[f];
  const [lo, hi] = [lo32(v), hi32(v)];
  return {
    present: true,
    frame: fmt.frameOf(lo, hi),
    rights: rightsOfProt(fmt.protOf(lo, hi)),
    memType: fmt.memTypeOf(lo, hi),
    accessed: fmt.isAccessed(lo, hi),
    dirty: fmt.isDirty(lo, hi),
  };
}

/* A leaf as the hardware might have left it: A/D set by accesses, ignored bits in use. */
function wornLeaf(f: FormatName, rng: Rng): bigint {
  const fmt = FORMATS[f];
  let v = leafOf(f, randomFrame(rng, FRAME_BITS[f]), rng.range(1, 7), rng.pick(['wb', 'uc'] as const));
  const w = { lo: lo32(v), hi: hi32(v) };
  const touch = rng.int(3);
  if (touch === 1) fmt.setAccessed(w, w.lo, w.hi);
  if (touch === 2) fmt.setDirty(w, w.lo, w.hi);
  v = toBig(w);
  for (const b of IGNORED[f]) if (rng.int(3) === 0) v |= 1n << BigInt(b);
  return v;
}

const sameLeaf = (want: DecodedLeaf) => (got: unknown) => {
  if (got === null || typeof got !== 'object') return `returned ${String(got)}, expected an object`;
  const g = got as Partial<DecodedLeaf>;
  if (g.present !== true) return `present is ${String(g.present)}, expected true`;
  if (g.frame !== want.frame)
    return `frame is ${String(g.frame)}, expected ${want.frame} (${hexN(want.frame)})`;
  const gr = g.rights;
  if (gr === undefined || gr === null || typeof gr !== 'object') return 'rights is missing';
  if (gr.r !== want.rights.r || gr.w !== want.rights.w || gr.x !== want.rights.x)
    return `rights are ${rightsText(gr)}, expected ${rightsText(want.rights)}`;
  if (g.memType !== want.memType) return `memType is ${String(g.memType)}, expected ${want.memType}`;
  if (g.accessed !== want.accessed) return `accessed is ${String(g.accessed)}, expected ${want.accessed}`;
  if (g.dirty !== want.dirty) return `dirty is ${String(g.dirty)}, expected ${want.dirty}`;
  return null;
};

export function decodeLeafCases(rng: Rng, count: number): Case[] {
  return Array.from({ length: count }, (_, i) => {
    const f = FORMAT_NAMES[i % 3];
    const v = wornLeaf(f, rng);
    return { what: `'${f}', ${hex64(v)}n`, args: [f, v], judge: sameLeaf(decodeByNestvm(f, v)) };
  });
}

export function decodeTableCases(rng: Rng, count: number): Case[] {
  return Array.from({ length: count }, (_, i) => {
    const f = FORMAT_NAMES[i % 3];
    const frame = randomFrame(rng, FRAME_BITS[f]);
    const w = { lo: 0, hi: 0 };
    FORMATS[f].table(w, hfn(frame));
    if (i % 2 === 1) FORMATS[f].setAccessed(w, w.lo, w.hi);
    const v = toBig(w);
    return {
      what: `'${f}', ${hex64(v)}n`,
      args: [f, v],
      judge: (got: unknown) => {
        const g = got as { present?: unknown; frame?: unknown } | null;
        if (g === null || typeof g !== 'object') return `returned ${String(got)}, expected an object`;
        if (g.present !== true) return `present is ${String(g.present)}, expected true`;
        return g.frame === frame ? null : `frame is ${String(g.frame)}, expected ${frame} (${hexN(frame)})`;
      },
    };
  });
}

/* Entries that are not present, though they are not zero: what hardware would fault on. */
export function notPresentCases(rng: Rng, count: number): Case[] {
  return Array.from({ length: count }, (_, i) => {
    const f = FORMAT_NAMES[i % 3];
    const full = leafOf(f, randomFrame(rng, FRAME_BITS[f]), rng.range(1, 7), 'wb');
    const cleared = f === 'ept' ? full & ~7n : f === 'npt' ? full & ~1n : full & ~BigInt(rng.range(1, 3));
    const v = i < 3 ? 0n : cleared;
    return {
      what: `'${f}', ${hex64(v)}n`,
      args: [f, v],
      judge: (got: unknown) => {
        const g = got as { present?: unknown } | null;
        if (g === null || typeof g !== 'object') return `returned ${String(got)}, expected an object`;
        return g.present === false ? null : `present is ${String(g.present)}, expected false`;
      },
    };
  });
}
