import { describe, expect, it } from 'vitest';
import { gpa, gpaToGfn, gfnToGpa, hpa, hpaToHfn, isPageAligned, pageAlignDown } from '../../mmu/addr.js';

describe('address helpers', () => {
  it('convert frames past 2^32 without 32-bit truncation', () => {
    const a = gpa(0x1_2345_6789);
    expect(gpaToGfn(a)).toBe(0x123456);
    expect(gfnToGpa(gpaToGfn(a))).toBe(0x1_2345_6000);
    expect(hpaToHfn(hpa(0xffff_ffff_f000))).toBe(0xf_ffff_ffff);
  });
  it('align and test alignment', () => {
    expect(pageAlignDown(gpa(0x4000_0fff))).toBe(0x4000_0000);
    expect(isPageAligned(0x2000)).toBe(true);
    expect(isPageAligned(0x2001)).toBe(false);
  });
});
