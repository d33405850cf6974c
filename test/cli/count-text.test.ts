import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupDigits } from '../../cli/count-text.js';

describe('groupDigits', () => {
  it('groups whole numbers in threes, as toLocaleString does', () => {
    expect(groupDigits(0)).toBe('0');
    expect(groupDigits(999)).toBe('999');
    expect(groupDigits(1000)).toBe('1,000');
    expect(groupDigits(357137)).toBe('357,137');
    expect(groupDigits(1234567)).toBe('1,234,567');
    expect(groupDigits(-1234)).toBe('-1,234');
  });

  it('agrees with toLocaleString("en-US") on every number (the model)', () => {
    const model = (v: number): string => v.toLocaleString('en-US');
    fc.assert(fc.property(fc.integer({ min: -(2 ** 53), max: 2 ** 53 }), (v) => groupDigits(v) === model(v)));
    fc.assert(fc.property(fc.double(), (v) => groupDigits(v) === model(v)));
    for (const v of [-0, 2 ** 53, 2 ** 64, NaN, Infinity, -Infinity, 1.5, 0.0001])
      expect(groupDigits(v)).toBe(model(v));
  });
});
