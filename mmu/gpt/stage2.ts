/*
 * arm64 stage-2 translation table format, 4 KiB granule, 4 levels (Arm ARM D8, "VMSAv8-64 translation
 * table format descriptors", stage 2 attributes), with hardware Access flag and dirty state
 * management (FEAT_HAFDBS).
 *
 * A descriptor is valid when bits 1:0 are 0b11 (a table descriptor at levels 0-2, a page descriptor
 * at level 3; nestvm never builds blocks, 0b01). Permissions are the S2AP field: bit 6 grants read,
 * bit 7 grants write. Execute is granted when XN, bits 54:53, is 0b00; non-executable leaves use
 * 0b10 (execute-never at EL1 and EL0, the one encoding that means the same with or without FEAT_XNX).
 *
 * Dirty state is not a bit of its own, it is a permission state. DBM (bit 51) marks a page whose
 * write permission the hardware manages: a tracked page starts writable-clean (S2AP = 0b01, DBM = 1);
 * the first write sets S2AP bit 7 instead of faulting, and from then on the page is dirty. Harvesting
 * clears bit 7 and keeps DBM, making it writable-clean again. So:
 *   - every writable leaf nestvm builds is tracked (DBM = 1, S2AP = 0b01, clean);
 *   - protOf() reports W when bit 7 or DBM is set (a clean tracked page is still writable);
 *   - isDirty() is S2AP bit 7: for a tracked page that is exactly "written since the last harvest",
 *     and for a writable page without DBM (never built here) it is the conservative answer "maybe";
 *   - setDirty/clearDirty move bit 7 only when DBM is set: they never grant or revoke a write right.
 * The Access flag is bit 10 (AF); with FEAT_HAFDBS the hardware sets it on first access.
 *
 * Memory type is the stage-2 MemAttr field, bits 5:2 (with HCR_EL2.FWB = 0): 0b1111 is Normal
 * write-back (outer and inner), 0b0001 is Device-nGnRE, which is what device windows use. Leaves are
 * Inner Shareable (SH = 0b11; ignored by the hardware for Device memory).
 *
 * Invariants: those of entry-format.ts.
 */

import type { Hfn } from '../addr.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../prot.js';
import type { MemType, Prot } from '../prot.js';
import {
  ARM_LEVEL_NAMES,
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
 * Stage-2 page descriptor (level 3) and table descriptor (levels 0-2), 4 KiB granule
 *
 *   63  59 58  55 54 53  52    51  50 48 47                   12 11  10  9  8 7    6 5       2  1   0
 *  +------+------+-----+------+----+-----+-----------------------+---+----+-----+------+---------+---+---+
 *  | ign  |  SW  | XN  |Contig| DBM| res0| output address 47:12  | 0 | AF | SH  | S2AP | MemAttr | 1 | 1 |
 *  +------+------+-----+------+----+-----+-----------------------+---+----+-----+------+---------+---+---+
 *   hi:    26:23  22:21  20     19         hi 15:0 | lo 31:12
 *   A table descriptor has only bits 1:0 = 0b11 and the next-level table address 47:12.
 */
const VALID = 0b11;
const MEMATTR_SHIFT = 2;
const MEMATTR_WB = 0b1111; // Normal, outer and inner write-back
const MEMATTR_DEVICE = 0b0001; // Device-nGnRE
const S2AP_R = 1 << 6;
const S2AP_W = 1 << 7;
const SH_INNER = 0b11 << 8;
const AF = 1 << 10;
const DBM_HI = 1 << 19; // entry bit 51
const XN_SHIFT_HI = 21; // entry bits 54:53
const XN_NEVER_HI = 0b10 << XN_SHIFT_HI;
const ADDR_HI_MASK = 0xffff; // entry bits 47:32

/*
 * VTTBR_EL2
 *
 *   63          48 47                                         1   0
 *  +--------------+--------------------------------------------+-----+
 *  |     VMID     |  BADDR: stage-2 root table address          | CnP |
 *  +--------------+--------------------------------------------+-----+
 *   hi 31:16 (16-bit VMID; an 8-bit VMID uses bits 55:48)       CnP = 0
 */
const VMID_SHIFT_HI = 16;

const S2AP_NAMES = ['none', 'read-only', 'write-only', 'read-write'];
const SH_NAMES = ['non-shareable', 'reserved', 'outer shareable', 'inner shareable'];
const XN_NAMES = ['executable', 'EL1 execute-never (XNX)', 'execute-never', 'EL0 execute-never (XNX)'];
const DEVICE_NAMES = ['Device-nGnRnE', 'Device-nGnRE', 'Device-nGRE', 'Device-GRE'];
const CACHE_NAMES = ['?', 'NC', 'WT', 'WB'];

function memAttrName(v: number): string {
  if (v >> 2 === 0) return DEVICE_NAMES[v & 3];
  if ((v & 3) === 0) return 'reserved';
  return `Normal outer ${CACHE_NAMES[v >> 2]} inner ${CACHE_NAMES[v & 3]}`;
}

function decodeStage2(lo: number, hi: number, kind: EntryKind): DecodedEntry {
  const frame = frameFrom(lo, hi, ADDR_HI_MASK);
  const f: DecodedField[] = [];
  if (kind === 'root') {
    f.push(field('CnP', '0', bit(lo, 0), bit(lo, 0) ? 'common not private' : '-'));
    f.push(addrField(frame, '47:1'));
    f.push(field('VMID', '63:48', hi >>> VMID_SHIFT_HI, `VMID ${hi >>> VMID_SHIFT_HI}`));
    return { format: 's2', kind, hex: entryHex(lo, hi), present: true, fields: f };
  }
  const present = (lo & VALID) === VALID;
  f.push(field('VALID', '0', bit(lo, 0), bit(lo, 0) ? 'valid' : 'invalid'));
  f.push(field('TYPE', '1', bit(lo, 1), bit(lo, 1) ? (kind === 'leaf' ? 'page' : 'table') : 'block'));
  if (kind === 'leaf') {
    f.push(field('MemAttr', '5:2', bits(lo, 5, 2), memAttrName(bits(lo, 5, 2))));
    f.push(field('S2AP', '7:6', bits(lo, 7, 6), S2AP_NAMES[bits(lo, 7, 6)]));
    f.push(field('SH', '9:8', bits(lo, 9, 8), SH_NAMES[bits(lo, 9, 8)]));
    f.push(field('AF', '10', bit(lo, 10), bit(lo, 10) ? 'accessed' : '-'));
  }
  f.push(addrField(frame, '47:12'));
  if (kind === 'leaf') {
    f.push(field('DBM', '51', bit(hi, 19), bit(hi, 19) ? 'dirty-tracked (write sets S2AP[1])' : '-'));
    f.push(field('Contig', '52', bit(hi, 20), bit(hi, 20) ? 'contiguous hint' : '-'));
    f.push(field('XN', '54:53', bits(hi, 22, 21), XN_NAMES[bits(hi, 22, 21)]));
    f.push(field('SW', '58:55', bits(hi, 26, 23), 'software use'));
  }
  return { format: 's2', kind, hex: entryHex(lo, hi), present, fields: f };
}

/** Set S2AP bit 7 only on a tracked (DBM) page: A/D changes never grant a write right. */
const dirtyBitFor = (hi: number): number => (hi & DBM_HI ? S2AP_W : 0);

export const stage2: EntryFormat = {
  name: 's2',
  title: 'arm64 stage-2',
  levelNames: ARM_LEVEL_NAMES,
  hwAdSupported: true,
  dirtyLoMask: S2AP_W,

  table(out: PteWords, frame: Hfn): void {
    out.lo = (frameLo(frame) | VALID) >>> 0;
    out.hi = frameHi(frame, ADDR_HI_MASK);
  },

  leaf(out: PteWords, frame: Hfn, prot: Prot, mt: MemType): void {
    const attr = (mt === 'wb' ? MEMATTR_WB : MEMATTR_DEVICE) << MEMATTR_SHIFT;
    out.lo = (frameLo(frame) | SH_INNER | S2AP_R | attr | VALID) >>> 0;
    out.hi =
      (frameHi(frame, ADDR_HI_MASK) |
        (prot & PROT_WRITE ? DBM_HI : 0) |
        (prot & PROT_EXEC ? 0 : XN_NEVER_HI)) >>>
      0;
  },

  isPresent: (lo: number, _hi: number): boolean => (lo & VALID) === VALID,
  frameOf: (lo: number, hi: number): Hfn => frameFrom(lo, hi, ADDR_HI_MASK),
  protOf: (lo: number, hi: number): Prot =>
    (lo & S2AP_R ? PROT_READ : 0) |
    (lo & S2AP_W || hi & DBM_HI ? PROT_WRITE : 0) |
    (((hi >>> XN_SHIFT_HI) & 3) === 0 ? PROT_EXEC : 0),
  memTypeOf: (lo: number, _hi: number): MemType =>
    ((lo >>> MEMATTR_SHIFT) & 0xf) === MEMATTR_WB ? 'wb' : 'uc',

  isAccessed: (lo: number, _hi: number): boolean => (lo & AF) !== 0,
  isDirty: (lo: number, _hi: number): boolean => (lo & S2AP_W) !== 0,
  setAccessed(out: PteWords, lo: number, hi: number): void {
    out.lo = (lo | AF) >>> 0;
    out.hi = hi >>> 0;
  },
  setDirty(out: PteWords, lo: number, hi: number): void {
    out.lo = (lo | AF | dirtyBitFor(hi)) >>> 0;
    out.hi = hi >>> 0;
  },
  clearAccessed(out: PteWords, lo: number, hi: number): void {
    out.lo = (lo & ~(AF | dirtyBitFor(hi))) >>> 0;
    out.hi = hi >>> 0;
  },
  clearDirty(out: PteWords, lo: number, hi: number): void {
    out.lo = (lo & ~dirtyBitFor(hi)) >>> 0;
    out.hi = hi >>> 0;
  },

  rootPointer(out: PteWords, root: Hfn, opts: RootOptions): void {
    out.lo = frameLo(root); // CnP = 0
    out.hi = (frameHi(root, ADDR_HI_MASK) | ((opts.vmid & 0xffff) << VMID_SHIFT_HI)) >>> 0;
  },

  decode: decodeStage2,
};
