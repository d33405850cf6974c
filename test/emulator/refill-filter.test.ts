import { describe, expect, it } from 'vitest';
import { RefillFilter } from '../../emulator/refill-filter.js';

describe('RefillFilter', () => {
  it('traces the first fill of a page, not a refill with the same frame and rights', () => {
    const f = new RefillFilter();
    expect(f.isNew(1, 0x1000, 0x5000, 0x9000, 5)).toBe(true);
    expect(f.isNew(1, 0x1000, 0x5000, 0x9000, 5)).toBe(false);
    expect(f.isNew(1, 0x1000, 0x5000, 0x9000, 1)).toBe(false);
  });

  it('traces a fill that adds rights, then treats the union as granted', () => {
    const f = new RefillFilter();
    f.isNew(1, 0x1000, 0x5000, 0x9000, 5);
    expect(f.isNew(1, 0x1000, 0x5000, 0x9000, 2)).toBe(true);
    expect(f.isNew(1, 0x1000, 0x5000, 0x9000, 7)).toBe(false);
  });

  it('traces a fill whose gpa or host frame changed', () => {
    const f = new RefillFilter();
    f.isNew(1, 0x1000, 0x5000, 0x9000, 7);
    expect(f.isNew(1, 0x1000, 0x6000, 0x9000, 7)).toBe(true);
    expect(f.isNew(1, 0x1000, 0x6000, 0xa000, 7)).toBe(true);
    expect(f.isNew(1, 0x1000, 0x6000, 0xa000, 7)).toBe(false);
  });

  it('forgets everything when the generation moves on (the engine flushed)', () => {
    const f = new RefillFilter();
    f.isNew(1, 0x1000, 0x5000, 0x9000, 7);
    expect(f.isNew(2, 0x1000, 0x5000, 0x9000, 7)).toBe(true);
    expect(f.isNew(2, 0x1000, 0x5000, 0x9000, 7)).toBe(false);
  });
});
