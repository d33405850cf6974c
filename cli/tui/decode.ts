/*
 * Decoding nested page table entries and root pointers into named fields, for display.
 *
 * The GPT pane shows every entry of a walk "with its bits decoded", and students check these
 * against the manuals, so the layouts below follow DESIGN §4 exactly. This is display code: it
 * takes a raw 64-bit value as a bigint (off the hot path, so BigInt is fine here) and never
 * writes anything. The adapter may use it to fill WalkStep.fields and GptInfo.rootPointer.fields,
 * or pass fields from mmu/gpt's own parser; the views only print whatever fields they get.
 *
 * Levels are numbered 4 (root) down to 1 (leaf table); nestvm maps 4 KiB pages only, so an
 * entry at level 1 is a leaf and every present entry above it points to a table.
 */
import type { Field, GptFormatName } from './model.js';

/** Bits hi..lo of a 64-bit value, as a number (the width is always small here). */
function bits(raw: bigint, hi: number, lo: number): number {
  return Number((raw >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n));
}

/** Bits hi..lo kept in place (the address fields). */
function field(raw: bigint, hi: number, lo: number): bigint {
  return raw & (((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo));
}

const flag = (name: string, raw: bigint, bit: number): Field => ({
  name,
  value: String(bits(raw, bit, bit)),
});
const hexField = (name: string, v: bigint): Field => ({ name, value: '0x' + v.toString(16) });

export interface DecodedEntry {
  readonly kind: 'table' | 'leaf' | 'empty';
  /** Address of the next table or of the mapped page. */
  readonly address: bigint;
  readonly fields: readonly Field[];
}

/* Memory types: EPT bits 5:3 and EPTP bits 2:0 use the MTRR encoding. */
const EPT_MEMTYPE: Record<number, string> = { 0: 'UC', 1: 'WC', 4: 'WT', 5: 'WP', 6: 'WB' };
const memtype = (v: number): string => `${v} (${EPT_MEMTYPE[v] ?? 'reserved'})`;

/*
 * Intel EPT entry:
 *
 *   63     52 51                12 11 10 9 8 7 6 5   3 2 1 0
 *  +---------+--------------------+-----+-+-+-+-+-----+-+-+-+
 *  | ignored | frame address      |     |D|A| |I| MT  |X|W|R|
 *  +---------+--------------------+-----+-+-+-+-+-----+-+-+-+
 *  present = any of R, W, X.  MT, IPAT (I) and D are leaf-only.
 */
function decodeEpt(level: number, raw: bigint): DecodedEntry {
  const address = field(raw, 51, 12);
  if (bits(raw, 2, 0) === 0) return { kind: 'empty', address, fields: [{ name: 'present', value: '0' }] };
  const leaf = level === 1;
  const fields: Field[] = [flag('R', raw, 0), flag('W', raw, 1), flag('X', raw, 2)];
  if (leaf) fields.push({ name: 'MT', value: memtype(bits(raw, 5, 3)) }, flag('IPAT', raw, 6));
  fields.push(flag('A', raw, 8));
  if (leaf) fields.push(flag('D', raw, 9));
  fields.push(hexField('addr', address));
  return { kind: leaf ? 'leaf' : 'table', address, fields };
}

/*
 * AMD nPT entry (a long-mode page table entry):
 *
 *   63 62      52 51                12 11  9 8 7 6 5 4 3 2 1 0
 *  +--+----------+--------------------+-----+-+-+-+-+-+-+-+-+-+
 *  |NX| ignored  | frame address      |     |G|P|D|A|C|W|U|R|P|
 *  +--+----------+--------------------+-----+-+-+-+-+-+-+-+-+-+
 *  bit 7 is PAT in a 4 KiB leaf; D is leaf-only.  (C = PCD, W = PWT, U = US, R = RW)
 */
function decodeNpt(level: number, raw: bigint): DecodedEntry {
  const address = field(raw, 51, 12);
  if (bits(raw, 0, 0) === 0) return { kind: 'empty', address, fields: [{ name: 'P', value: '0' }] };
  const leaf = level === 1;
  const fields: Field[] = [
    flag('P', raw, 0),
    flag('RW', raw, 1),
    flag('US', raw, 2),
    flag('PWT', raw, 3),
    flag('PCD', raw, 4),
    flag('A', raw, 5),
  ];
  if (leaf) fields.push(flag('D', raw, 6), flag('PAT', raw, 7));
  fields.push(flag('NX', raw, 63), hexField('addr', address));
  return { kind: leaf ? 'leaf' : 'table', address, fields };
}

/*
 * arm64 stage-2 descriptor, 4 KiB granule:
 *
 *   63  55 54 53 52 51 50 48 47             12 11 10 9  8 7  6 5     2 1 0
 *  +------+-----+--+---+----+----------------+--+--+----+----+-------+---+
 *  |      | XN  |  |DBM|    | output address |  |AF| SH |S2AP|MemAttr|1 1|
 *  +------+-----+--+---+----+----------------+--+--+----+----+-------+---+
 *  bits 1:0 = 0b11: table (levels 4..2) or page (level 1). Attributes are leaf-only.
 *  A DBM page is dirty once S2AP bit 7 (write) is set; harvest clears bit 7, keeps DBM.
 */
const S2AP = ['none', 'read-only', 'write-only', 'read-write'];
const SH = ['non-shareable', 'reserved', 'outer', 'inner'];

function s2MemAttr(v: number): string {
  if (v === 0b1111) return `${v} (normal WB)`;
  if (v === 0b0101) return `${v} (normal non-cacheable)`;
  if (v >> 2 === 0) return `${v} (device)`;
  return `${v} (normal)`;
}

function decodeS2(level: number, raw: bigint): DecodedEntry {
  const address = field(raw, 47, 12);
  if (bits(raw, 1, 0) !== 0b11) {
    return { kind: 'empty', address, fields: [{ name: 'valid', value: String(bits(raw, 1, 0)) }] };
  }
  if (level !== 1)
    return { kind: 'table', address, fields: [{ name: 'type', value: 'table' }, hexField('addr', address)] };
  const dbm = bits(raw, 51, 51);
  const write = bits(raw, 7, 7);
  const fields: Field[] = [
    { name: 'MemAttr', value: s2MemAttr(bits(raw, 5, 2)) },
    { name: 'S2AP', value: S2AP[bits(raw, 7, 6)] },
    { name: 'SH', value: SH[bits(raw, 9, 8)] },
    flag('AF', raw, 10),
    flag('DBM', raw, 51),
    { name: 'XN', value: String(bits(raw, 54, 53)) },
    { name: 'dirty', value: dbm && write ? '1' : '0' },
    hexField('addr', address),
  ];
  return { kind: 'leaf', address, fields };
}

/** Decode one entry of a nested table at `level` (4 = root .. 1 = leaf). */
export function decodeEntry(format: GptFormatName, level: number, raw: bigint): DecodedEntry {
  const v = BigInt.asUintN(64, raw);
  if (format === 'ept') return decodeEpt(level, v);
  if (format === 'npt') return decodeNpt(level, v);
  return decodeS2(level, v);
}

/*
 * Root pointers.
 *
 * EPTP:   63   52 51          12 11  7 6  5   3 2  0
 *        +-------+--------------+-----+-+-------+----+
 *        |       | PML4 address |     |A| len-1 | MT |     A = accessed/dirty flags enabled
 *        +-------+--------------+-----+-+-------+----+
 * nCR3:  the host-physical address of the top table (bits 51:12), PWT bit 3, PCD bit 4.
 * VTTBR: 63   48 47           1 0
 *        +------+--------------+---+
 *        | VMID | base address |CnP|
 *        +------+--------------+---+
 */
export function decodeRootPointer(format: GptFormatName, raw: bigint): Field[] {
  const v = BigInt.asUintN(64, raw);
  if (format === 'ept') {
    return [
      { name: 'MT', value: memtype(bits(v, 2, 0)) },
      { name: 'levels', value: String(bits(v, 5, 3) + 1) },
      flag('A/D', v, 6),
      hexField('root', field(v, 51, 12)),
    ];
  }
  if (format === 'npt') return [hexField('root', field(v, 51, 12)), flag('PWT', v, 3), flag('PCD', v, 4)];
  return [
    hexField('root', field(v, 47, 1)),
    { name: 'VMID', value: String(bits(v, 63, 48)) },
    flag('CnP', v, 0),
  ];
}
