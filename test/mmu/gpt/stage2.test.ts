/*
 * arm64 stage-2 bit patterns, written by hand from the Arm ARM's stage-2 descriptor figures
 * (4 KiB granule, FEAT_HAFDBS).
 */
import { describe, expect, it } from 'vitest';
import { hfn } from '../../../mmu/addr.js';
import { newWords } from '../../../mmu/gpt/entry-format.js';
import { stage2 } from '../../../mmu/gpt/stage2.js';
import { PROT_ALL, PROT_READ, PROT_RW, PROT_RX } from '../../../mmu/prot.js';

const w = newWords();

describe('stage-2 descriptors', () => {
  it('page RWX normal WB: 0b11, MemAttr 0b1111, S2AP read (clean), SH inner, DBM, XN 0', () => {
    stage2.leaf(w, hfn(0x12345), PROT_ALL, 'wb');
    expect(w).toEqual({ lo: 0x1234_537f, hi: 0x0008_0000 });
  });
  it('page read-only device: MemAttr 0b0001 (Device-nGnRE), XN 0b10 (bit 54), no DBM', () => {
    stage2.leaf(w, hfn(0x12345), PROT_READ, 'uc');
    expect(w).toEqual({ lo: 0x1234_5347, hi: 0x0040_0000 });
    expect(stage2.protOf(w.lo, w.hi)).toBe(PROT_READ);
  });
  it('a tracked page is writable while clean, dirty once S2AP bit 7 is set', () => {
    stage2.leaf(w, hfn(0x12345), PROT_RW, 'wb');
    expect(w).toEqual({ lo: 0x1234_537f, hi: 0x0048_0000 });
    expect(stage2.protOf(w.lo, w.hi)).toBe(PROT_RW);
    expect(stage2.isDirty(w.lo, w.hi)).toBe(false);
    stage2.setDirty(w, w.lo, w.hi); // AF (bit 10) + S2AP[1] (bit 7)
    expect(w).toEqual({ lo: 0x1234_57ff, hi: 0x0048_0000 });
    expect(stage2.isDirty(w.lo, w.hi)).toBe(true);
    stage2.clearDirty(w, w.lo, w.hi); // harvest: bit 7 cleared, DBM kept
    expect(w).toEqual({ lo: 0x1234_577f, hi: 0x0048_0000 });
    expect(stage2.protOf(w.lo, w.hi)).toBe(PROT_RW);
  });
  it('A/D changes never grant or revoke write on an untracked page', () => {
    stage2.setDirty(w, 0x1234_5347, 0x0040_0000); // read-only page
    expect(w.lo).toBe(0x1234_5747); // only AF
    stage2.clearDirty(w, 0x1234_53c7, 0); // writable without DBM (hand-made)
    expect(w.lo).toBe(0x1234_53c7);
    expect(stage2.isDirty(0x1234_53c7, 0)).toBe(true); // conservatively "maybe written"
  });
  it('AF is bit 10; clearing it also clears the dirty state', () => {
    stage2.clearAccessed(w, 0x1234_57ff, 0x0008_0000);
    expect(w.lo).toBe(0x1234_537f);
  });
  it('table descriptor: 0b11 and the next-level address', () => {
    stage2.table(w, hfn(0x12345));
    expect(w).toEqual({ lo: 0x1234_5003, hi: 0 });
  });
  it('output address bits 47:32 in hi 15:0', () => {
    stage2.leaf(w, hfn(0xf_ffff_ffff), PROT_RX, 'wb');
    expect(w).toEqual({ lo: 0xffff_f37f, hi: 0x0000_ffff });
    expect(stage2.frameOf(w.lo, w.hi)).toBe(0xf_ffff_ffff);
  });
  it('valid only when bits 1:0 are 0b11', () => {
    expect(stage2.isPresent(0b01, 0)).toBe(false);
    expect(stage2.isPresent(0b10, 0)).toBe(false);
    expect(stage2.isPresent(0b11, 0)).toBe(true);
  });
  it('execute only when XN bits 54:53 are 0b00', () => {
    expect(stage2.protOf(0x343, 0x0020_0000) & 4).toBe(0);
    expect(stage2.protOf(0x343, 0x0060_0000) & 4).toBe(0);
    expect(stage2.protOf(0x343, 0) & 4).toBe(4);
  });
  it('VTTBR: root address and VMID in 63:48', () => {
    stage2.rootPointer(w, hfn(0x5), { adEnabled: true, vmid: 7 });
    expect(w).toEqual({ lo: 0x5000, hi: 0x0007_0000 });
    const r = stage2.decode(w.lo, w.hi, 'root');
    expect(Object.fromEntries(r.fields.map((f) => [f.name, f.value]))).toEqual({
      CnP: 0,
      ADDR: 0x5000,
      VMID: 7,
    });
  });
  it('decode names the bits', () => {
    const d = stage2.decode(0x1234_57ff, 0x0048_0000, 'leaf');
    const by = Object.fromEntries(d.fields.map((f) => [f.name, f]));
    expect(by.MemAttr.meaning).toBe('Normal outer WB inner WB');
    expect(by.S2AP.meaning).toBe('read-write');
    expect(by.SH.meaning).toBe('inner shareable');
    expect(by.AF.value).toBe(1);
    expect(by.DBM.value).toBe(1);
    expect(by.XN).toMatchObject({ bits: '54:53', value: 2, meaning: 'execute-never' });
    expect(stage2.decode(0x1234_5347, 0, 'leaf').fields.find((f) => f.name === 'MemAttr')?.meaning).toBe(
      'Device-nGnRE',
    );
  });
});
