/*
 * The pre-copy's reading of a harvest bitmap (page i is byte i >> 3, bit i & 7), against a model:
 * the set of page indexes whose bit is set, in ascending order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dirtyPages } from '../../../emulator/migration/precopy.js';

describe('dirtyPages', () => {
  it('lists exactly the set bits, ascending', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bitmap) => {
        const model: number[] = [];
        for (let i = 0; i < bitmap.length * 8; i++) if ((bitmap[i >> 3] >> (i & 7)) & 1) model.push(i);
        expect(dirtyPages(bitmap)).toEqual(model);
      }),
    );
  });

  it('reads page 9 from byte 1, bit 1', () => {
    expect(dirtyPages(Uint8Array.of(0, 0b10, 0x80))).toEqual([9, 23]);
  });
});
