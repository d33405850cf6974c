/*
 * Intel EPT entry format (Intel SDM vol. 3C, "EPT Translation Mechanism").
 *
 * An EPT entry is present when any of R, W, X is set: there is no separate present bit, and an
 * entry with all three clear is simply "not present" whatever else it holds. Accessed and Dirty are
 * maintained by the processor only when EPTP bit 6 enables them; nestvm's emulated hardware always
 * can (hwAdSupported), and rootPointer() sets the bit when asked.
 *
 * Leaves carry the memory type themselves (bits 5:3) and set IPAT (bit 6) so that the type in the
 * EPT is the final one: nestvm does not model the guest's PAT, so letting it combine would only hide
 * the type a student is trying to see. W is never set without R (W without R is an EPT
 * misconfiguration); X without R (execute-only) is kept as asked.
 *
 * Invariants: those of entry-format.ts. Bits the builders never set (PS, XU, SVE, ignored bits) are
 * still shown by decode() so that a hand-written entry can be read back.
 */

import type { Hfn } from '../addr.js';
import { PROT_READ, PROT_WRITE } from '../prot.js';
import type { MemType, Prot } from '../prot.js';
import {
  X86_LEVEL_NAMES,
  addrField,
  bit,
  bits,
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
 * EPT paging-structure entry (4 KiB leaf, or pointer to the next table)
 *
 *   63  62     52 51                     12 11 10  9   8   7   6   5   3  2   1   0
 *  +---+---------+-------------------------+--+---+---+---+---+----+-----+---+---+---+
 *  |SVE| ignored |  frame address 51:12    |ig|XU | D | A |ign|IPAT| MT  | X | W | R |
 *  +---+---------+-------------------------+--+---+---+---+---+----+-----+---+---+---+
 *    hi bit 31                                  leaf only: D, IPAT, MT (table: reserved/ignored)
 */
const R = 1 << 0;
const W = 1 << 1;
const X = 1 << 2;
const RWX = R | W | X;
const MT_SHIFT = 3;
const MT_WB = 6;
const MT_UC = 0;
const IPAT = 1 << 6;
const A = 1 << 8;
const D = 1 << 9;
const ADDR_HI_MASK = 0xfffff; // entry bits 51:32

/*
 * EPTP (the VMCS "EPT pointer" field)
 *
 *   63          52 51                      12 11     7   6    5    3 2      0
 *  +--------------+--------------------------+--------+----+-------+--------+
 *  |   reserved   |  PML4 address 51:12      |reserved| AD | WALK  |   MT   |
 *  +--------------+--------------------------+--------+----+-------+--------+
 *   MT = 6 (write-back paging-structure accesses); WALK = page-walk length - 1 = 3 (4 levels)
 */
const EPTP_MT_WB = 6;
const EPTP_WALK_4 = 3 << 3;
const EPTP_AD = 1 << 6;

const MT_NAMES: Record<number, string> = { 0: 'UC', 1: 'WC', 4: 'WT', 5: 'WP', 6: 'WB' };
const mtName = (v: number): string => MT_NAMES[v] ?? 'reserved';

function decodeEpt(lo: number, hi: number, kind: EntryKind): DecodedEntry {
  const frame = frameFrom(lo, hi, ADDR_HI_MASK);
  const f: DecodedField[] = [];
  if (kind === 'root') {
    f.push(field('MT', '2:0', bits(lo, 2, 0), mtName(bits(lo, 2, 0))));
    f.push(field('WALK', '5:3', bits(lo, 5, 3), `${bits(lo, 5, 3) + 1}-level walk`));
    f.push(field('AD', '6', bit(lo, 6), bit(lo, 6) ? 'A/D enabled' : 'A/D disabled'));
    f.push(addrField(frame, '51:12'));
    return { format: 'ept', kind, hex: entryHex(lo, hi), present: true, fields: f };
  }
  f.push(field('R', '0', bit(lo, 0), bit(lo, 0) ? 'read' : '-'));
  f.push(field('W', '1', bit(lo, 1), bit(lo, 1) ? 'write' : '-'));
  f.push(field('X', '2', bit(lo, 2), bit(lo, 2) ? 'execute' : '-'));
  if (kind === 'leaf') {
    f.push(field('MT', '5:3', bits(lo, 5, 3), mtName(bits(lo, 5, 3))));
    f.push(field('IPAT', '6', bit(lo, 6), bit(lo, 6) ? 'ignore guest PAT' : 'combine with guest PAT'));
  }
  f.push(field('A', '8', bit(lo, 8), bit(lo, 8) ? 'accessed' : '-'));
  if (kind === 'leaf') f.push(field('D', '9', bit(lo, 9), bit(lo, 9) ? 'dirty' : '-'));
  f.push(field('XU', '10', bit(lo, 10), bit(lo, 10) ? 'user execute (MBEC)' : '-'));
  f.push(addrField(frame, '51:12'));
  f.push(field('SVE', '63', bit(hi, 31), bit(hi, 31) ? 'suppress #VE' : '-'));
  return { format: 'ept', kind, hex: entryHex(lo, hi), present: (lo & RWX) !== 0, fields: f };
}

export const ept: EntryFormat = {
  name: 'ept',
  title: 'Intel EPT',
  levelNames: X86_LEVEL_NAMES,
  hwAdSupported: true,
  dirtyLoMask: D,

  table(out: PteWords, frame: Hfn): void {
    out.lo = (frameLo(frame) | RWX) >>> 0;
    out.hi = frameHi(frame, ADDR_HI_MASK);
  },

  leaf(out: PteWords, frame: Hfn, prot: Prot, mt: MemType): void {
    let rights = prot & RWX; // PROT_READ/WRITE/EXEC are EPT's R/W/X bit for bit
    if (prot & PROT_WRITE) rights |= PROT_READ;
    const type = mt === 'wb' ? MT_WB : MT_UC;
    out.lo = (frameLo(frame) | IPAT | (type << MT_SHIFT) | rights) >>> 0;
    out.hi = frameHi(frame, ADDR_HI_MASK);
  },

  isPresent: (lo: number, _hi: number): boolean => (lo & RWX) !== 0,
  frameOf: (lo: number, hi: number): Hfn => frameFrom(lo, hi, ADDR_HI_MASK),
  protOf: (lo: number, _hi: number): Prot => lo & RWX,
  memTypeOf: (lo: number, _hi: number): MemType => (((lo >>> MT_SHIFT) & 7) === MT_WB ? 'wb' : 'uc'),

  isAccessed: (lo: number, _hi: number): boolean => (lo & A) !== 0,
  isDirty: (lo: number, _hi: number): boolean => (lo & D) !== 0,
  setAccessed(out: PteWords, lo: number, hi: number): void {
    out.lo = (lo | A) >>> 0;
    out.hi = hi >>> 0;
  },
  setDirty(out: PteWords, lo: number, hi: number): void {
    out.lo = (lo | A | (lo & W ? D : 0)) >>> 0; // a page that grants no write never turns dirty
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

  rootPointer(out: PteWords, root: Hfn, opts: RootOptions): void {
    out.lo = (frameLo(root) | (opts.adEnabled ? EPTP_AD : 0) | EPTP_WALK_4 | EPTP_MT_WB) >>> 0;
    out.hi = frameHi(root, ADDR_HI_MASK);
  },

  decode: decodeEpt,
};
