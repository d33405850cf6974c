/*
 * Intel EPT bit patterns, written by hand from the SDM's EPT entry and EPTP figures.
 */
import { describe, expect, it } from 'vitest';
import { hfn } from '../../../mmu/addr.js';
import { newWords } from '../../../mmu/gpt/entry-format.js';
import { ept } from '../../../mmu/gpt/ept.js';
import { PROT_ALL, PROT_EXEC, PROT_READ, PROT_RW, PROT_RX, PROT_WRITE } from '../../../mmu/prot.js';

const w = newWords();

describe('EPT entries', () => {
  it('leaf RW write-back: R|W, MT=6 in 5:3, IPAT, address', () => {
    ept.leaf(w, hfn(0x12345), PROT_RW, 'wb');
    expect(w).toEqual({ lo: 0x1234_5073, hi: 0 });
  });
  it('leaf RWX write-back', () => {
    ept.leaf(w, hfn(0x12345), PROT_ALL, 'wb');
    expect(w).toEqual({ lo: 0x1234_5077, hi: 0 });
  });
  it('leaf read-only uncacheable: MT=0', () => {
    ept.leaf(w, hfn(0x12345), PROT_READ, 'uc');
    expect(w).toEqual({ lo: 0x1234_5041, hi: 0 });
  });
  it('write implies read; execute-only stays execute-only', () => {
    ept.leaf(w, hfn(1), PROT_WRITE, 'wb');
    expect(w.lo & 7).toBe(3);
    ept.leaf(w, hfn(1), PROT_EXEC, 'wb');
    expect(w.lo & 7).toBe(4);
    expect(ept.protOf(w.lo, w.hi)).toBe(PROT_EXEC);
  });
  it('address bits above 32 go to the high half (bits 51:32)', () => {
    ept.leaf(w, hfn(0x12_3456_789a), PROT_RX, 'wb');
    expect(w).toEqual({ lo: 0x6789_a075, hi: 0x0001_2345 });
    expect(ept.frameOf(w.lo, w.hi)).toBe(0x12_3456_789a);
  });
  it('table pointer: R|W|X and address', () => {
    ept.table(w, hfn(0x1000));
    expect(w).toEqual({ lo: 0x0100_0007, hi: 0 });
  });
  it('present is any of R, W, X', () => {
    for (const lo of [1, 2, 4, 7]) expect(ept.isPresent(lo, 0)).toBe(true);
    expect(ept.isPresent(0xffff_f3f8, 0xffff_ffff)).toBe(false);
  });
  it('A is bit 8, D is bit 9', () => {
    ept.leaf(w, hfn(0x12345), PROT_RW, 'wb');
    ept.setDirty(w, w.lo, w.hi);
    expect(w.lo).toBe(0x1234_5373);
    ept.clearDirty(w, w.lo, w.hi);
    expect(w.lo).toBe(0x1234_5173);
    ept.clearAccessed(w, 0x1234_5373, 0);
    expect(w.lo).toBe(0x1234_5073);
  });
  it('memory type read back from bits 5:3', () => {
    expect(ept.memTypeOf(0x30, 0)).toBe('wb');
    expect(ept.memTypeOf(0x00, 0)).toBe('uc');
    expect(ept.memTypeOf(0x20, 0)).toBe('uc'); // WT is not write-back
  });
  it('EPTP: MT=6 in 2:0, walk length-1 = 3 in 5:3, A/D enable bit 6', () => {
    ept.rootPointer(w, hfn(0x5), { adEnabled: true, vmid: 0 });
    expect(w).toEqual({ lo: 0x505e, hi: 0 });
    ept.rootPointer(w, hfn(0x5), { adEnabled: false, vmid: 9 });
    expect(w).toEqual({ lo: 0x501e, hi: 0 });
  });
  it('decode names the bits', () => {
    const d = ept.decode(0x1234_5373, 0x8000_0000, 'leaf');
    const by = Object.fromEntries(d.fields.map((f) => [f.name, f]));
    expect(d.hex).toBe('0x80000000_12345373');
    expect(d.present).toBe(true);
    expect(by.MT).toMatchObject({ bits: '5:3', value: 6, meaning: 'WB' });
    expect(by.A.value).toBe(1);
    expect(by.D.value).toBe(1);
    expect(by.IPAT.value).toBe(1);
    expect(by.SVE.value).toBe(1);
    expect(by.ADDR.value).toBe(0x1234_5000);
    const r = ept.decode(0x505e, 0, 'root');
    const rb = Object.fromEntries(r.fields.map((f) => [f.name, f.value]));
    expect(rb).toEqual({ MT: 6, WALK: 3, AD: 1, ADDR: 0x5000 });
    expect(ept.decode(0x0100_0007, 0, 'table').fields.map((f) => f.name)).not.toContain('D');
  });
});
