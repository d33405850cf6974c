// The bridge from mmu/gpt's decoder to printed fields, on real entries of all three formats.
import { describe, expect, it } from 'vitest';
import { fieldsOf, fieldValue, rawOf, walkKind } from '../../../cli/tui/gpt-fields.js';
import { FORMATS } from '../../../mmu/gpt/formats.js';
import { newWords } from '../../../mmu/gpt/entry-format.js';
import { hfn } from '../../../mmu/addr.js';

const value = (fields: { name: string; value: string }[], name: string) =>
  fields.find((f) => f.name === name)?.value;

describe('gpt-fields', () => {
  it('prints bits as 0/1, fields with their meaning, addresses as hex', () => {
    expect(fieldValue({ name: 'A', bits: '8', value: 1, meaning: 'accessed' })).toBe('1');
    expect(fieldValue({ name: 'MT', bits: '5:3', value: 6, meaning: 'WB' })).toBe('6 (WB)');
    expect(fieldValue({ name: 'ADDR', bits: '51:12', value: 0x5000, meaning: '0x5000' })).toBe('0x5000');
    expect(fieldValue({ name: 'VMID', bits: '63:48', value: 7, meaning: 'VMID 7' })).toBe('7');
    expect(fieldValue({ name: 'SW', bits: '58:55', value: 0, meaning: '-' })).toBe('0');
  });

  it('joins the halves into one 64-bit value', () => {
    expect(rawOf(0xffff_ffff, 0x8000_0000)).toBe(0x8000_0000_ffff_ffffn);
    expect(rawOf(0x1003, 0)).toBe(0x1003n);
  });

  it('classifies real entries of every format', () => {
    for (const f of Object.values(FORMATS)) {
      const w = newWords();
      expect(walkKind(f.decode(0, 0, 'leaf')), f.name).toBe('empty');
      f.table(w, hfn(0x42));
      const t = f.decode(w.lo, w.hi, 'table');
      expect(walkKind(t), f.name).toBe('table');
      expect(value(fieldsOf(t), 'ADDR'), f.name).toBe('0x42000');
      f.leaf(w, hfn(0x1234), 3, 'wb');
      f.setDirty(w, w.lo, w.hi);
      const l = f.decode(w.lo, w.hi, 'leaf');
      expect(walkKind(l), f.name).toBe('leaf');
      expect(value(fieldsOf(l), 'ADDR'), f.name).toBe('0x1234000');
    }
    const e = newWords();
    FORMATS.ept.rootPointer(e, hfn(5), { adEnabled: true, vmid: 0 });
    expect(value(fieldsOf(FORMATS.ept.decode(e.lo, e.hi, 'root')), 'MT')).toBe('6 (WB)');
    const v = newWords();
    FORMATS.s2.rootPointer(v, hfn(5), { adEnabled: true, vmid: 9 });
    expect(value(fieldsOf(FORMATS.s2.decode(v.lo, v.hi, 'root')), 'VMID')).toBe('9');
    expect(rawOf(v.lo, v.hi) >> 48n).toBe(9n);
  });
});
