// io-followers.ts: every address that may follow an x86 port instruction, as merged ranges, against
// a model that lists them one by one; and the real port instructions' followers are among them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { followerOffsets, followerRanges } from '../../../emulator/unicorn/io-followers.js';
import { code } from './guest.js';

/* The model: a byte's follower, by the table in the essay. */
function modelFollowers(bytes: Uint8Array): Set<number> {
  const out = new Set<number>();
  bytes.forEach((b, i) => {
    if ([0xe4, 0xe5, 0xe6, 0xe7].includes(b)) out.add(i + 2);
    if ([0xec, 0xed, 0xee, 0xef, 0x6c, 0x6d, 0x6e, 0x6f].includes(b)) out.add(i + 1);
  });
  return out;
}

describe('I/O followers', () => {
  it('the ranges cover exactly the model followers not already known, sorted, disjoint, not adjacent', () => {
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0xe6, 0xee, 0x6c, 0xe4));
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 64 }),
        fc.array(fc.integer({ min: 0, max: 80 })),
        (raw, known) => {
          const bytes = Uint8Array.from(raw);
          const va = 0x40_1000;
          const knownSet = new Set(known.map((k) => va + k));
          const ranges = followerRanges(va, bytes, knownSet);
          const covered = new Set<number>();
          for (let i = 0; i < ranges.length; i++) {
            const [b, e] = ranges[i];
            expect(b).toBeLessThanOrEqual(e);
            if (i > 0) expect(b).toBeGreaterThan(ranges[i - 1][1] + 1);
            for (let a = b; a <= e; a++) covered.add(a);
          }
          const want = [...modelFollowers(bytes)].map((o) => va + o).filter((a) => !knownSet.has(a));
          expect([...covered].sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
        },
      ),
    );
  });

  it('every port instruction form is followed by one of its followers', async () => {
    const forms = [
      'out 0xf4, al',
      'in eax, 0x60',
      'out dx, al',
      'in ax, dx',
      'rep outsb',
      'insd',
      'out dx, eax',
    ];
    for (const f of forms) {
      const bytes = await code('x86_64', `${f}\n nop`);
      expect(followerOffsets(bytes), f).toContain(bytes.length - 1); // where the nop begins
    }
  });
});
