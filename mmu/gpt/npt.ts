/*
 * AMD nested page table format (AMD APM vol. 2, "Nested Paging"): the ordinary long-mode 4-level
 * page-table entry, walked with the nCR3 of the VMCB instead of CR3.
 *
 * Two details matter for nested paging. First, every access made by the nested walk is treated as a
 * user access, so every entry -- leaves and table pointers -- sets US (bit 2), or the walk faults.
 * Second, execute permission is the absence of NX, which is bit 63: the top bit of the high half.
 * The memory type is chosen through the PAT index {PAT, PCD, PWT} = bits {7, 4, 3}; with the power-on
 * PAT MSR, index 0 is write-back and index 3 is uncacheable, which is what leaves use. Accessed and
 * Dirty are always maintained by the hardware.
 *
 * Invariants: those of entry-format.ts. Every word is unsigned, in particular a non-executable leaf's
 * high half, whose bit 31 is set.
 */

import type { Hfn } from '../addr.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../prot.js';
import type { MemType, Prot } from '../prot.js';
import {
  X86_LEVEL_NAMES,
  addrField,
  bit,
  entryHex,
  field,
  frameFrom,
  frameHi,
  frameLo,
} from './entry-format.js';
import type {
  DecodedEntry,
  DecodedField,
  EntryFormat,
  EntryKind,
  PteWords,
  RootOptions,
} from './entry-format.js';

/*
 * Long-mode page-table entry as used by nPT (4 KiB leaf, or pointer to the next table)
 *
 *   63  62      52 51                   12 11  9  8   7    6   5   4    3    2    1   0
 *  +--+----------+-----------------------+-----+---+-----+---+---+-----+-----+----+----+---+
 *  |NX| available| frame address 51:12   | AVL | G |PAT* | D*| A | PCD | PWT | US | RW | P |
 *  +--+----------+-----------------------+-----+---+-----+---+---+-----+-----+----+----+---+
 *  hi bit 31                                    * leaf only: bit 7 is PS in a table entry (must be 0),
 *                                                 bit 6 is ignored there
 */
const P = 1 << 0;
const RW = 1 << 1;
const US = 1 << 2;
const PWT = 1 << 3;
const PCD = 1 << 4;
const A = 1 << 5;
const D = 1 << 6;
const PAT = 1 << 7;
const NX_HI = 1 << 31; // entry bit 63
const ADDR_HI_MASK = 0xfffff; // entry bits 51:32

/*
 * nCR3 (VMCB offset 0xB0): the host-physical address of the nested PML4, laid out like CR3.
 *
 *   63        52 51                       12 11     5   4     3   2   0
 *  +------------+---------------------------+--------+-----+-----+-----+
 *  |  reserved  |   PML4 address 51:12      |        | PCD | PWT |     |
 *  +------------+---------------------------+--------+-----+-----+-----+
 *   PCD = PWT = 0: the tables themselves are fetched write-back.
 */

/* PAT index {PAT,PCD,PWT} -> memory type with the power-on PAT MSR value 0x0007040600070406. */
const PAT_DEFAULT = ['WB', 'WT', 'UC-', 'UC', 'WB', 'WT', 'UC-', 'UC'];
const patIndex = (lo: number): number => (lo & PAT ? 4 : 0) | (lo & PCD ? 2 : 0) | (lo & PWT ? 1 : 0);

function decodeNpt(lo: number, hi: number, kind: EntryKind): DecodedEntry {
  const frame = frameFrom(lo, hi, ADDR_HI_MASK);
  const f: DecodedField[] = [];
  if (kind === 'root') {
    f.push(field('PWT', '3', bit(lo, 3), bit(lo, 3) ? 'write-through' : 'write-back'));
    f.push(field('PCD', '4', bit(lo, 4), bit(lo, 4) ? 'cache disabled' : 'cacheable'));
    f.push(addrField(frame, '51:12'));
    return { format: 'npt', kind, hex: entryHex(lo, hi), present: true, fields: f };
  }
  f.push(field('P', '0', bit(lo, 0), bit(lo, 0) ? 'present' : 'not present'));
  f.push(field('RW', '1', bit(lo, 1), bit(lo, 1) ? 'writable' : 'read-only'));
  f.push(field('US', '2', bit(lo, 2), bit(lo, 2) ? 'user' : 'supervisor'));
  f.push(field('PWT', '3', bit(lo, 3), bit(lo, 3) ? 'write-through' : '-'));
  f.push(field('PCD', '4', bit(lo, 4), bit(lo, 4) ? 'cache disabled' : '-'));
  f.push(field('A', '5', bit(lo, 5), bit(lo, 5) ? 'accessed' : '-'));
  if (kind === 'leaf') {
    f.push(field('D', '6', bit(lo, 6), bit(lo, 6) ? 'dirty' : '-'));
    f.push(field('PAT', '7', bit(lo, 7), `PAT index ${patIndex(lo)} = ${PAT_DEFAULT[patIndex(lo)]}`));
  } else {
    f.push(field('PS', '7', bit(lo, 7), bit(lo, 7) ? 'large page' : 'table'));
  }
  f.push(field('G', '8', bit(lo, 8), bit(lo, 8) ? 'global' : '-'));
  f.push(addrField(frame, '51:12'));
  f.push(field('NX', '63', bit(hi, 31), bit(hi, 31) ? 'no execute' : 'executable'));
  return { format: 'npt', kind, hex: entryHex(lo, hi), present: (lo & P) !== 0, fields: f };
}

export const npt: EntryFormat = {
  name: 'npt',
  title: 'AMD nPT',
  levelNames: X86_LEVEL_NAMES,
  hwAdSupported: true,
  dirtyLoMask: D,

  table(out: PteWords, frame: Hfn): void {
    out.lo = (frameLo(frame) | US | RW | P) >>> 0;
    out.hi = frameHi(frame, ADDR_HI_MASK);
  },

  leaf(out: PteWords, frame: Hfn, prot: Prot, mt: MemType): void {
    const rw = prot & PROT_WRITE ? RW : 0;
    const type = mt === 'wb' ? 0 : PCD | PWT; // PAT index 0 (WB) or 3 (UC)
    out.lo = (frameLo(frame) | type | US | rw | P) >>> 0;
    out.hi = (frameHi(frame, ADDR_HI_MASK) | (prot & PROT_EXEC ? 0 : NX_HI)) >>> 0;
  },

  isPresent: (lo: number, _hi: number): boolean => (lo & P) !== 0,
  frameOf: (lo: number, hi: number): Hfn => frameFrom(lo, hi, ADDR_HI_MASK),
  protOf: (lo: number, hi: number): Prot =>
    PROT_READ | (lo & RW ? PROT_WRITE : 0) | (hi & NX_HI ? 0 : PROT_EXEC),
  memTypeOf: (lo: number, _hi: number): MemType => ((patIndex(lo) & 3) === 0 ? 'wb' : 'uc'),

  isAccessed: (lo: number, _hi: number): boolean => (lo & A) !== 0,
  isDirty: (lo: number, _hi: number): boolean => (lo & D) !== 0,
  setAccessed(out: PteWords, lo: number, hi: number): void {
    out.lo = (lo | A) >>> 0;
    out.hi = hi >>> 0;
  },
  setDirty(out: PteWords, lo: number, hi: number): void {
    out.lo = (lo | A | (lo & RW ? D : 0)) >>> 0; // a page that grants no write never turns dirty
    out.hi = hi >>> 0;
  },
  clearAccessed(out: PteWords, lo: number, hi: number): void {
    out.lo = (lo & ~(A | D)) >>> 0;
    out.hi = hi >>> 0;
  },
  clearDirty(out: PteWords, lo: number, hi: number): void {
    out.lo = (lo & ~D) >>> 0;
    out.hi = hi >>> 0;
  },

  rootPointer(out: PteWords, root: Hfn, _opts: RootOptions): void {
    out.lo = frameLo(root);
    out.hi = frameHi(root, ADDR_HI_MASK);
  },

  decode: decodeNpt,
};
