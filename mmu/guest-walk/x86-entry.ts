/*
 * The x86-64 paging-structure entry (4-level paging, Intel SDM vol. 3 §4.5, AMD APM vol. 2 §5.3).
 *
 * One format serves all four levels; bit 7 (PS) decides whether a PDPTE or PDE is a leaf:
 *
 *    63  62:59   58:52   51:M    M-1:12          11:9  8  7    6  5  4    3    2    1    0
 *   +--+-------+-------+------+----------------+-----+--+----+--+--+----+----+----+----+---+
 *   |XD| PKey  | avail | rsvd | address        | avl |G |PS/ |D |A |PCD |PWT |U/S |R/W | P |
 *   |  |(leaf) |       |  0   |                |     |  |PAT |  |  |    |    |    |    |   |
 *   +--+-------+-------+------+----------------+-----+--+----+--+--+----+----+----+----+---+
 *   M = MAXPHYADDR. Bit 7 is PS in a PDPTE/PDE, PAT in a 4 KiB PTE, reserved in a PML4E.
 *   In a 2 MiB / 1 GiB leaf, bit 12 is PAT and the address starts at bit 21 / 30; the bits in
 *   between (20:13 / 29:13) are reserved.
 *   D (bit 6) and G (bit 8) mean something only in a leaf; A (bit 5) is set at every level used.
 *
 * Every bit the walker tests lives in `lo` except XD (hi bit 31) and the address bits 51:32.
 * All helpers take the two unsigned 32-bit halves and allocate nothing.
 */

import { hex } from '../addr.js';
import type { EntryField } from './guest-phys.js';
import { wordHex, type GuestEntryDecoded } from './walk-result.js';

export const X86_P = 1 << 0;
export const X86_RW = 1 << 1;
export const X86_US = 1 << 2;
export const X86_PWT = 1 << 3;
export const X86_PCD = 1 << 4;
export const X86_A = 1 << 5;
export const X86_D = 1 << 6;
export const X86_PS = 1 << 7;
export const X86_G = 1 << 8;
/** XD / NX is entry bit 63 = hi bit 31. */
export const X86_XD_HI = 0x8000_0000;

const TWO32 = 0x1_0000_0000;

/** Bytes mapped by one entry at `level` (1 = PT ... 4 = PML4). */
export const x86LevelSize = (level: number): number => 2 ** (12 + 9 * (level - 1));

/** Whether this entry, present at `level`, is a leaf (4 KiB PTE, or a PDPTE/PDE with PS=1). */
export const x86IsLeaf = (lo: number, level: number): boolean =>
  level === 1 || ((level === 2 || level === 3) && (lo & X86_PS) !== 0);

/*
 * Address bits 51:12 of an entry, as a number. For a large leaf the caller masks it down to the
 * page size (the low address bits of a large leaf are PAT and reserved bits, not address).
 */
export const x86EntryAddress = (lo: number, hi: number): number =>
  (hi & 0x000f_ffff) * TWO32 + ((lo & 0xffff_f000) >>> 0);

/** The frame base a leaf at `level` maps (PAT and reserved bits below the page size dropped). */
export function x86LeafBase(lo: number, hi: number, level: number): number {
  const a = x86EntryAddress(lo, hi);
  return a - (a % x86LevelSize(level));
}

/*
 * Reserved bits of a present entry (SDM §4.5, table 4-14 onwards), for MAXPHYADDR `maxPhys`:
 *  - address bits 51:maxPhys at every level;
 *  - XD (bit 63) when EFER.NXE = 0;
 *  - PS in a PML4E;
 *  - bits 29:13 of a 1 GiB leaf and 20:13 of a 2 MiB leaf.
 */
export function x86HasReservedBits(
  lo: number,
  hi: number,
  level: number,
  maxPhys: number,
  nxe: boolean,
): boolean {
  const hiAddrBits = 0x000f_ffff;
  const hiAllowed = maxPhys >= 52 ? hiAddrBits : (1 << (maxPhys - 32)) - 1;
  if ((hi & hiAddrBits & ~hiAllowed) !== 0) return true;
  if (!nxe && (hi & X86_XD_HI) !== 0) return true;
  if (level === 4 && (lo & X86_PS) !== 0) return true;
  if (level === 3 && (lo & X86_PS) !== 0 && (lo & 0x3fff_e000) !== 0) return true;
  if (level === 2 && (lo & X86_PS) !== 0 && (lo & 0x001f_e000) !== 0) return true;
  return false;
}

const LEVEL_NAMES = ['', 'PTE', 'PDE', 'PDPTE', 'PML4E'];

export const x86LevelName = (level: number): string => LEVEL_NAMES[level] ?? `L${level}`;

const f = (name: string, bits: string, value: number, meaning: string): EntryField => ({
  name,
  bits,
  value,
  meaning,
});

const flag = (name: string, bitNo: number, w: number, on: string, off: string): EntryField =>
  f(name, String(bitNo), (w >>> (bitNo % 32)) & 1, (w >>> (bitNo % 32)) & 1 ? on : off);

/** Named bits of an x86-64 paging entry at `level` (4 = PML4E ... 1 = PTE). */
export function decodeX86Entry(lo: number, hi: number, level: number): GuestEntryDecoded {
  lo >>>= 0;
  hi >>>= 0;
  const present = (lo & X86_P) !== 0;
  const leaf = present && x86IsLeaf(lo, level);
  const kind = !present ? 'invalid' : level === 4 && lo & X86_PS ? 'reserved' : leaf ? 'leaf' : 'table';
  const address = !present ? 0 : leaf ? x86LeafBase(lo, hi, level) : x86EntryAddress(lo, hi);
  const fields: EntryField[] = [
    flag('P', 0, lo, 'present', 'not present'),
    flag('R/W', 1, lo, 'writable', 'read-only'),
    flag('U/S', 2, lo, 'user', 'supervisor only'),
    flag('PWT', 3, lo, 'write-through', 'write-back'),
    flag('PCD', 4, lo, 'cache disabled', 'cacheable'),
    flag('A', 5, lo, 'accessed', 'not accessed'),
  ];
  if (level === 1) {
    fields.push(flag('D', 6, lo, 'dirty', 'clean'), flag('PAT', 7, lo, 'PAT high', 'PAT low'));
    fields.push(flag('G', 8, lo, 'global', 'not global'));
  } else if (leaf) {
    fields.push(flag('D', 6, lo, 'dirty', 'clean'), flag('PS', 7, lo, 'large page', 'table'));
    fields.push(flag('G', 8, lo, 'global', 'not global'), flag('PAT', 12, lo, 'PAT high', 'PAT low'));
  } else {
    fields.push(flag('PS', 7, lo, level === 4 ? 'reserved (must be 0)' : 'large page', 'table'));
  }
  const addrBits = leaf ? `51:${level === 3 ? 30 : level === 2 ? 21 : 12}` : '51:12';
  fields.push(f('ADDR', addrBits, address, hex(address)));
  if (leaf) fields.push(f('PKEY', '62:59', (hi >>> 27) & 0xf, String((hi >>> 27) & 0xf)));
  fields.push(flag('XD', 63, hi, 'no execute', 'executable'));
  return {
    format: 'x86-64',
    level,
    kind,
    hex: wordHex(lo, hi),
    present,
    address,
    pageSize: leaf ? x86LevelSize(level) : 0,
    fields,
  };
}
