/*
 * Installed entries: the pmap's own record of which entries of host RAM hold a leaf or a table
 * pointer.
 *
 * The host cannot decode an entry (formats live above it), yet it must know which entries are
 * present to check PV lists against them and to refuse to release a table that still has entries.
 * So every entry write goes through the pmap, and the pmap keeps two bitmaps with one bit per
 * 8-byte entry of host RAM, plus per-table counts:
 *
 *   entry index  i = pte >>> 3            word = i >>> 5, bit = i & 31
 *   leafBits[word]  bit set: a leaf was installed at pte and not yet cleared
 *   ptrBits[word]   bit set: a table pointer was installed at pte and not yet cleared
 *   leaves[t], ptrs[t]  how many bits are set inside table frame t (512 entries = 16 words)
 *
 * Memory cost: 2 bits per 64 bits of host RAM (1/32), plus 4 bytes per frame.
 *
 * Invariants: a bit is never set in both maps; leaves[t] and ptrs[t] equal the set bits in frame t's
 * 16 words; bits are set only inside frames that hold tables (pmap asserts this before setting).
 */

import type { Hfn, Hpa } from '../addr.js';

export const PTES_PER_FRAME = 512;
const WORDS_PER_TABLE = PTES_PER_FRAME >>> 5;

const popcount32 = (v: number): number => {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
};

export class InstalledEntries {
  readonly leafBits: Uint32Array;
  readonly ptrBits: Uint32Array;
  readonly leaves: Uint16Array;
  readonly ptrs: Uint16Array;

  constructor(frameCount: number) {
    this.leafBits = new Uint32Array(frameCount * WORDS_PER_TABLE);
    this.ptrBits = new Uint32Array(frameCount * WORDS_PER_TABLE);
    this.leaves = new Uint16Array(frameCount);
    this.ptrs = new Uint16Array(frameCount);
  }

  isLeaf(pte: Hpa): boolean {
    const i = pte >>> 3;
    return (this.leafBits[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  isPtr(pte: Hpa): boolean {
    const i = pte >>> 3;
    return (this.ptrBits[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  setLeaf(pte: Hpa): void {
    const i = pte >>> 3;
    this.leafBits[i >>> 5] |= 1 << (i & 31);
    this.leaves[pte >>> 12]++;
  }

  clearLeaf(pte: Hpa): void {
    const i = pte >>> 3;
    this.leafBits[i >>> 5] &= ~(1 << (i & 31));
    this.leaves[pte >>> 12]--;
  }

  setPtr(pte: Hpa): void {
    const i = pte >>> 3;
    this.ptrBits[i >>> 5] |= 1 << (i & 31);
    this.ptrs[pte >>> 12]++;
  }

  clearPtr(pte: Hpa): void {
    const i = pte >>> 3;
    this.ptrBits[i >>> 5] &= ~(1 << (i & 31));
    this.ptrs[pte >>> 12]--;
  }

  /** Set bits counted afresh in table t's words: [leaves, pointers, overlapping]. */
  recount(t: Hfn): [number, number, number] {
    let l = 0;
    let p = 0;
    let both = 0;
    const w0 = t * WORDS_PER_TABLE;
    for (let w = w0; w < w0 + WORDS_PER_TABLE; w++) {
      l += popcount32(this.leafBits[w]);
      p += popcount32(this.ptrBits[w]);
      both += popcount32(this.leafBits[w] & this.ptrBits[w]);
    }
    return [l, p, both];
  }
}
