/*
 * Property tests of the host layer: random op sequences against the reference model in
 * host-model.ts (see there for what is compared after every step).
 */

import fc from 'fast-check';
import { describe, it } from 'vitest';
import { runHostModel } from './host-model.js';

const Op = fc.tuple(fc.integer({ min: 0, max: 13 }), fc.nat(1000), fc.nat(1000), fc.nat(1000));

describe('host layer against a reference model', () => {
  it('random op sequences keep PV, descriptors, ledger, pools and frames in agreement', () => {
    fc.assert(
      fc.property(fc.array(Op, { minLength: 20, maxLength: 150, size: 'max' }), (ops) => runHostModel(ops)),
      { numRuns: 150 },
    );
  });

  it('map-heavy sequences over few frames (long PV lists, coalescing, steals)', () => {
    const heavy = fc.tuple(fc.constantFrom(0, 2, 4, 5, 5, 6, 7, 13), fc.nat(1000), fc.nat(1000), fc.nat(3));
    fc.assert(
      fc.property(fc.array(heavy, { minLength: 40, maxLength: 200, size: 'max' }), (ops) =>
        runHostModel(ops),
      ),
      { numRuns: 80 },
    );
  });
});
