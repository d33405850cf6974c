/*
 * The in-flight pin set against a model (a Set of frames, a current stamp, a fault count): random
 * fills (stamp, frames), faults and slice ends, with the sweep after every step. What must hold:
 * exactly the frames pinned since the stamp last changed are pinned; a new stamp above 1 inside a
 * slice, or a slice end that retired something, restarts the fault count; nothing else does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Hfn } from '../../../mmu/addr.js';
import { PinnedSinceRetire } from '../../../mmu/host/pinned-since-retire.js';

const FRAMES = 16;

type Op =
  { kind: 'fill'; stamp: number; frames: number[] } | { kind: 'fault' } | { kind: 'end'; retired: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('fill' as const),
    stamp: fc.integer({ min: 1, max: 4 }),
    // frames past the host's count (device apertures) are never pinned
    frames: fc.array(fc.integer({ min: 0, max: FRAMES + 3 }), { maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('fault' as const) }),
  fc.record({ kind: fc.constant('end' as const), retired: fc.boolean() }),
);

describe('PinnedSinceRetire against a model', () => {
  it('pins what the instruction in flight filled, counts its faults, forgets both at retirement', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 200 }), (ops) => {
        const pins = new PinnedSinceRetire(FRAMES);
        const model = new Set<number>();
        let stamp = -1;
        let faults = 0;
        for (const o of ops) {
          if (o.kind === 'fill') {
            pins.atInstruction(o.stamp);
            if (o.stamp !== stamp) {
              model.clear();
              if (o.stamp > 1) faults = 0;
              stamp = o.stamp;
            }
            for (const f of o.frames) {
              pins.pin(f as Hfn);
              if (f < FRAMES) model.add(f);
            }
          } else if (o.kind === 'fault') {
            expect(pins.noteFault()).toBe(++faults);
          } else {
            pins.endSlice(o.retired);
            model.clear();
            stamp = -1;
            if (o.retired) faults = 0;
          }
          pins.checkInvariants();
          expect(pins.size).toBe(model.size);
          expect(pins.faultsSinceRetire).toBe(faults);
          for (let f = 0; f < FRAMES; f++) expect(pins.has(f as Hfn)).toBe(model.has(f));
        }
      }),
    );
  });
});
