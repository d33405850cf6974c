/*
 * AMD nPT bit patterns, written by hand from the APM's long-mode PTE figure.
 */
import { describe, expect, it } from 'vitest';
import { hfn } from '../../../mmu/addr.js';
import { newWords } from '../../../mmu/gpt/entry-format.js';
import { npt } from '../../../mmu/gpt/npt.js';
import { PROT_ALL, PROT_EXEC, PROT_READ, PROT_RW, PROT_RX } from '../../../mmu/prot.js';

const w = newWords();

describe('nPT entries', () => {
  it('leaf RWX write-back: P|RW|US, NX clear, PAT index 0', () => {
    npt.leaf(w, hfn(0x12345), PROT_ALL, 'wb');
    expect(w).toEqual({ lo: 0x1234_5007, hi: 0 });
  });
  it('leaf RW: NX is bit 63, the top bit of the high half (and the word stays unsigned)', () => {
    npt.leaf(w, hfn(0x12345), PROT_RW, 'wb');
    expect(w).toEqual({ lo: 0x1234_5007, hi: 0x8000_0000 });
    expect(w.hi).toBeGreaterThan(0);
  });
  it('leaf read-only uncacheable: PCD|PWT (PAT index 3), US set, RW clear', () => {
    npt.leaf(w, hfn(0x12345), PROT_READ, 'uc');
    expect(w).toEqual({ lo: 0x1234_501d, hi: 0x8000_0000 });
    expect(npt.memTypeOf(w.lo, w.hi)).toBe('uc');
  });
  it('read is implied: an execute leaf parses as R-X', () => {
    npt.leaf(w, hfn(3), PROT_EXEC, 'wb');
    expect(npt.protOf(w.lo, w.hi)).toBe(PROT_RX);
  });
  it('table pointer: P|RW|US, NX clear', () => {
    npt.table(w, hfn(0x12345));
    expect(w).toEqual({ lo: 0x1234_5007, hi: 0 });
  });
  it('address bits 51:32 in the high half below NX', () => {
    npt.leaf(w, hfn(0xff_ffff_ffff), PROT_READ, 'wb');
    expect(w).toEqual({ lo: 0xffff_f005, hi: 0x800f_ffff });
    expect(npt.frameOf(w.lo, w.hi)).toBe(0xff_ffff_ffff);
  });
  it('A is bit 5, D is bit 6', () => {
    npt.leaf(w, hfn(0x12345), PROT_ALL, 'wb');
    npt.setAccessed(w, w.lo, w.hi);
    expect(w.lo).toBe(0x1234_5027);
    npt.setDirty(w, w.lo, w.hi);
    expect(w.lo).toBe(0x1234_5067);
    expect(npt.isDirty(w.lo, w.hi)).toBe(true);
    npt.clearAccessed(w, w.lo, w.hi);
    expect(w.lo).toBe(0x1234_5007);
  });
  it('present is bit 0 only', () => {
    expect(npt.isPresent(0xffff_fffe, 0xffff_ffff)).toBe(false);
    expect(npt.isPresent(1, 0)).toBe(true);
  });
  it('nCR3 is the root address', () => {
    npt.rootPointer(w, hfn(0x5), { adEnabled: true, vmid: 3 });
    expect(w).toEqual({ lo: 0x5000, hi: 0 });
  });
  it('decode names the bits; bit 7 is PAT in a leaf and PS in a table', () => {
    const d = npt.decode(0x1234_509f, 0x8000_0000, 'leaf');
    const by = Object.fromEntries(d.fields.map((f) => [f.name, f]));
    expect(by.PAT.meaning).toBe('PAT index 7 = UC');
    expect(by.NX.value).toBe(1);
    expect(by.US.value).toBe(1);
    expect(by.ADDR.value).toBe(0x1234_5000);
    const t = npt.decode(0x1234_5007, 0, 'table');
    expect(t.fields.map((f) => f.name)).toContain('PS');
    expect(t.fields.map((f) => f.name)).not.toContain('D');
  });
});
