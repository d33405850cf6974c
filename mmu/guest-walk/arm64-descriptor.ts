/*
 * The arm64 stage-1 translation table descriptor, 4 KiB granule, 48-bit output addresses
 * (Arm ARM D8.3, VMSAv8-64 descriptor formats).
 *
 * Bits 1:0 say what a descriptor is:
 *   x0            invalid (Translation fault)
 *   01            block: level 1 (1 GiB) or level 2 (2 MiB); reserved at levels 0 and 3
 *   11            table at levels 0-2; page at level 3
 *
 * Table descriptor (levels 0-2):
 *    63     62:61     60        59       58:48  47:12                      11:2      1  0
 *   +-------+--------+---------+--------+------+---------------------------+---------+--+--+
 *   |NSTable|APTable |UXNTable |PXNTable| ign  | next-level table address  | ignored |1 |1 |
 *   +-------+--------+---------+--------+------+---------------------------+---------+--+--+
 *   APTable[0] (bit 61): no EL0 access below; APTable[1] (bit 62): no write below.
 *
 * Block / page descriptor:
 *    63:59  58:55  54   53   52   51   50  49:48  47:n        11  10  9:8  7:6     5   4:2       1 0
 *   +------+------+----+----+----+----+---+-----+-----------+---+---+----+-------+---+---------+---+
 *   | ign  | SW   |UXN |PXN |Cont|DBM |GP | 0   | out addr  |nG |AF |SH  |AP[2:1]|NS |AttrIndx |x 1|
 *   +------+------+----+----+----+----+---+-----+-----------+---+---+----+-------+---+---------+---+
 *   n = 30 (1 GiB block), 21 (2 MiB block), 12 (4 KiB page).
 *   AP[2:1]:  00 EL1 RW / EL0 none   01 EL1 RW / EL0 RW   10 EL1 RO / EL0 none   11 EL1 RO / EL0 RO
 *
 * The bits the hardware updates, AF (10) and AP[2] (7), are in `lo`; DBM (51), Contiguous (52),
 * PXN (53), UXN (54) and the table attributes (59-63) are in `hi` at bit (n - 32).
 */

import { hex } from '../addr.js';
import type { EntryField } from './guest-phys.js';
import { wordHex, type GuestEntryDecoded } from './walk-result.js';

export const A64_VALID = 1 << 0;
export const A64_TABLE = 1 << 1;
export const A64_AP1 = 1 << 6;
export const A64_AP2 = 1 << 7;
export const A64_AF = 1 << 10;
export const A64_NG = 1 << 11;
/* hi-word bits (entry bit n = hi bit n - 32) */
export const A64_DBM_HI = 1 << 19;
export const A64_CONT_HI = 1 << 20;
export const A64_PXN_HI = 1 << 21;
export const A64_UXN_HI = 1 << 22;
export const A64_PXNTABLE_HI = 1 << 27;
export const A64_UXNTABLE_HI = 1 << 28;
export const A64_APTABLE0_HI = 1 << 29;
export const A64_APTABLE1_HI = 1 << 30;
export const A64_NSTABLE_HI = 0x8000_0000;

const TWO32 = 0x1_0000_0000;

/** Bytes covered by one entry at `level` (0 = 512 GiB ... 3 = 4 KiB). */
export const a64LevelSize = (level: number): number => 2 ** (12 + 9 * (3 - level));

/** Output/next-table address bits 47:12. */
export const a64Address = (lo: number, hi: number): number =>
  (hi & 0xffff) * TWO32 + ((lo & 0xffff_f000) >>> 0);

export type A64Kind = 'invalid' | 'table' | 'leaf' | 'reserved';

/** What a descriptor is at `level`: block encodings at levels 0 and 3 are reserved. */
export function a64Kind(lo: number, level: number): A64Kind {
  if ((lo & A64_VALID) === 0) return 'invalid';
  const tbl = (lo & A64_TABLE) !== 0;
  if (level === 3) return tbl ? 'leaf' : 'reserved';
  if (tbl) return 'table';
  return level === 0 ? 'reserved' : 'leaf';
}

const f = (name: string, bits: string, value: number, meaning: string): EntryField => ({
  name,
  bits,
  value,
  meaning,
});

const bitOf = (w: number, n: number): number => (w >>> n) & 1;

const AP_MEANING = ['EL1 RW, EL0 none', 'EL1 RW, EL0 RW', 'EL1 RO, EL0 none', 'EL1 RO, EL0 RO'];
const SH_MEANING = ['non-shareable', 'reserved', 'outer shareable', 'inner shareable'];

/** Named bits of a stage-1 descriptor at `level` (0..3). */
export function decodeArm64Descriptor(lo: number, hi: number, level: number): GuestEntryDecoded {
  lo >>>= 0;
  hi >>>= 0;
  const kind = a64Kind(lo, level);
  const size = a64LevelSize(level);
  const raw = a64Address(lo, hi);
  const address = kind === 'table' ? raw : kind === 'leaf' ? raw - (raw % size) : 0;
  const fields: EntryField[] = [
    f('VALID', '0', bitOf(lo, 0), bitOf(lo, 0) ? 'valid' : 'invalid'),
    f(
      'TYPE',
      '1',
      bitOf(lo, 1),
      level === 3 ? (bitOf(lo, 1) ? 'page' : 'reserved') : bitOf(lo, 1) ? 'table' : 'block',
    ),
  ];
  if (kind === 'table') {
    fields.push(f('ADDR', '47:12', address, hex(address)));
    fields.push(f('PXNTable', '59', bitOf(hi, 27), bitOf(hi, 27) ? 'no EL1 execute below' : '-'));
    fields.push(f('UXNTable', '60', bitOf(hi, 28), bitOf(hi, 28) ? 'no EL0 execute below' : '-'));
    fields.push(f('APTable', '62:61', (hi >>> 29) & 3, aptMeaning((hi >>> 29) & 3)));
    fields.push(f('NSTable', '63', bitOf(hi, 31), bitOf(hi, 31) ? 'non-secure' : '-'));
  } else if (kind === 'leaf') {
    const ap = (lo >>> 6) & 3;
    const sh = (lo >>> 8) & 3;
    fields.push(
      f('AttrIndx', '4:2', (lo >>> 2) & 7, `MAIR_EL1 attr ${(lo >>> 2) & 7}`),
      f('NS', '5', bitOf(lo, 5), bitOf(lo, 5) ? 'non-secure' : '-'),
      f('AP', '7:6', ap, AP_MEANING[ap]),
      f('SH', '9:8', sh, SH_MEANING[sh]),
      f('AF', '10', bitOf(lo, 10), bitOf(lo, 10) ? 'accessed' : 'not accessed'),
      f('nG', '11', bitOf(lo, 11), bitOf(lo, 11) ? 'not global (ASID)' : 'global'),
      f('ADDR', level === 1 ? '47:30' : level === 2 ? '47:21' : '47:12', address, hex(address)),
      f('DBM', '51', bitOf(hi, 19), bitOf(hi, 19) ? 'dirty bit modifier' : '-'),
      f('Contiguous', '52', bitOf(hi, 20), bitOf(hi, 20) ? 'contiguous hint' : '-'),
      f('PXN', '53', bitOf(hi, 21), bitOf(hi, 21) ? 'no EL1 execute' : 'EL1 may execute'),
      f('UXN', '54', bitOf(hi, 22), bitOf(hi, 22) ? 'no EL0 execute' : 'EL0 may execute'),
    );
  }
  return {
    format: 'arm64-s1',
    level,
    kind,
    hex: wordHex(lo, hi),
    present: kind === 'table' || kind === 'leaf',
    address,
    pageSize: kind === 'leaf' ? size : 0,
    fields,
  };
}

function aptMeaning(apt: number): string {
  if (apt === 0) return 'no limit';
  const parts: string[] = [];
  if (apt & 1) parts.push('no EL0 access');
  if (apt & 2) parts.push('no write');
  return parts.join(', ') + ' below';
}
