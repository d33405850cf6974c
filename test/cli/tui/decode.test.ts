// Entry and root-pointer decoding against the bit layouts of DESIGN §4, and the flag decoders.
import { describe, expect, it } from 'vitest';
import { decodeEntry, decodeRootPointer } from '../../../cli/tui/decode.js';
import { decodeFlags, hex64, protString } from '../../../cli/tui/format.js';
import type { Field } from '../../../cli/tui/model.js';

const get = (fields: readonly Field[], name: string) => fields.find((f) => f.name === name)?.value;

describe('decodeEntry', () => {
  it('EPT: present when any of R/W/X; leaf memory type, A and D', () => {
    expect(decodeEntry('ept', 1, 0n).kind).toBe('empty');
    expect(decodeEntry('ept', 1, 0x4n).kind).toBe('leaf'); // execute-only is present
    const leaf = decodeEntry('ept', 1, 0x1234_5000n | 0b011n | (6n << 3n) | (1n << 8n) | (1n << 9n));
    expect(leaf.address).toBe(0x1234_5000n);
    expect(get(leaf.fields, 'W')).toBe('1');
    expect(get(leaf.fields, 'X')).toBe('0');
    expect(get(leaf.fields, 'MT')).toBe('6 (WB)');
    expect(get(leaf.fields, 'D')).toBe('1');
    const table = decodeEntry('ept', 3, 0x7000n | 7n);
    expect(table.kind).toBe('table');
    expect(get(table.fields, 'D')).toBeUndefined();
    expect(get(table.fields, 'MT')).toBeUndefined();
  });

  it('nPT: P bit 0, A bit 5, D bit 6, NX bit 63, address bits 51:12', () => {
    expect(decodeEntry('npt', 1, 0x6n).kind).toBe('empty');
    const raw = (1n << 63n) | (0xf_ffff_ffff_f000n | 0xfffn);
    const e = decodeEntry('npt', 1, raw);
    expect(e.address).toBe(0xf_ffff_ffff_f000n);
    expect(get(e.fields, 'NX')).toBe('1');
    expect(get(e.fields, 'A')).toBe('1');
    expect(get(e.fields, 'D')).toBe('1');
    expect(get(decodeEntry('npt', 1, 0x1001n).fields, 'D')).toBe('0');
  });

  it('stage-2: bits 1:0 = 0b11, S2AP, AF, DBM dirty state, 48-bit address', () => {
    expect(decodeEntry('s2', 1, 0x1n).kind).toBe('empty');
    expect(decodeEntry('s2', 2, 0x3n | 0x8000n).kind).toBe('table');
    const clean = 0x4000_1000n | 3n | (1n << 6n) | (1n << 10n) | (1n << 51n);
    expect(get(decodeEntry('s2', 1, clean).fields, 'S2AP')).toBe('read-only');
    expect(get(decodeEntry('s2', 1, clean).fields, 'dirty')).toBe('0');
    const dirty = clean | (1n << 7n);
    expect(get(decodeEntry('s2', 1, dirty).fields, 'S2AP')).toBe('read-write');
    expect(get(decodeEntry('s2', 1, dirty).fields, 'dirty')).toBe('1');
    expect(decodeEntry('s2', 1, dirty | (0xfn << 48n)).address).toBe(0x4000_1000n);
    expect(get(decodeEntry('s2', 1, dirty | (2n << 53n)).fields, 'XN')).toBe('2');
  });
});

describe('decodeRootPointer', () => {
  it('EPTP: memory type, walk length, A/D enable, root', () => {
    const f = decodeRootPointer('ept', 0xabc000n | 6n | (3n << 3n) | (1n << 6n));
    expect(f).toEqual([
      { name: 'MT', value: '6 (WB)' },
      { name: 'levels', value: '4' },
      { name: 'A/D', value: '1' },
      { name: 'root', value: '0xabc000' },
    ]);
  });
  it('nCR3 and VTTBR', () => {
    expect(get(decodeRootPointer('npt', 0xabc018n), 'root')).toBe('0xabc000');
    expect(get(decodeRootPointer('npt', 0xabc018n), 'PCD')).toBe('1');
    const v = decodeRootPointer('s2', (5n << 48n) | 0xabc000n | 1n);
    expect(get(v, 'VMID')).toBe('5');
    expect(get(v, 'root')).toBe('0xabc000');
    expect(get(v, 'CnP')).toBe('1');
  });
});

describe('format helpers', () => {
  it('decodes rflags and nzcv', () => {
    expect(decodeFlags('x86_64', 0x246n)).toBe('PF ZF IF');
    expect(decodeFlags('x86_64', 0x2)).toBe('-');
    expect(decodeFlags('arm64', 0xf000_0000n)).toBe('N Z C V');
    expect(decodeFlags('arm64', 0x2000_0000)).toBe('C');
  });
  it('prints 64-bit values and rights', () => {
    expect(hex64(0xffff_ffff_ffff_ffffn)).toBe('ffffffffffffffff');
    expect(hex64(-1n)).toBe('ffffffffffffffff');
    expect(hex64(0x1234)).toBe('0000000000001234');
    expect(protString(5)).toBe('r-x');
  });
});
