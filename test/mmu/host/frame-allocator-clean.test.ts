import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Hfn } from '../../../mmu/addr.js';
import { InvariantError, fullChecks, setFullChecks } from '../../../mmu/checks.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';

const P = 4096;
const FRAMES = 8;

type Op =
  { kind: 'alloc' } | { kind: 'free'; pick: number } | { kind: 'scribble'; pick: number; byte: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: 'alloc' }),
  fc.record({ kind: fc.constant<'free'>('free'), pick: fc.nat() }),
  fc.record({
    kind: fc.constant<'scribble'>('scribble'),
    pick: fc.nat(),
    byte: fc.integer({ min: 1, max: 255 }),
  }),
);

/* Run ops on an allocator over a fresh (zeroed) HostMemory; the model is the set of live frames. */
function run(ops: Op[], zeroed: boolean): { zeroOnAlloc: boolean; live: number } {
  const mem = new HostMemory(FRAMES * P);
  const frames = new FrameAllocator(mem, undefined, { zeroed });
  const live: Hfn[] = [];
  let zeroOnAlloc = true;
  for (const o of ops) {
    if (o.kind === 'alloc') {
      const f = frames.alloc('guest');
      if (f === -1) {
        expect(live.length).toBe(FRAMES);
        continue;
      }
      zeroOnAlloc &&= mem.frameBytes(f).every((b) => b === 0);
      live.push(f);
    } else if (live.length > 0 && o.kind === 'free') {
      frames.free(live.splice(o.pick % live.length, 1)[0]);
    } else if (live.length > 0 && o.kind === 'scribble') {
      mem.frameBytes(live[o.pick % live.length]).fill(o.byte, 0, 64); // only allocated frames are written
    }
  }
  frames.checkInvariants();
  return { zeroOnAlloc, live: live.length };
}

describe('FrameAllocator over freshly zeroed memory', () => {
  it('hands out zeroed frames whatever was written to frames before they were freed (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const fast = run(ops, true);
        const slow = run(ops, false);
        expect(fast).toEqual(slow);
        expect(fast.zeroOnAlloc).toBe(true);
      }),
    );
  });

  it('with full checks on, catches a frame written while it was never handed out', () => {
    const was = fullChecks();
    try {
      setFullChecks(true);
      const mem = new HostMemory(2 * P);
      const frames = new FrameAllocator(mem, undefined, { zeroed: true });
      mem.u8[P + 5] = 7; // frame 1 was never handed out: nobody may write it
      expect(frames.alloc('guest')).toBe(0);
      expect(() => frames.alloc('guest')).toThrow(InvariantError);
    } finally {
      setFullChecks(was);
    }
  });

  it('without { zeroed }, zeroes every frame it hands out, as before', () => {
    const mem = new HostMemory(2 * P);
    mem.u8.fill(0xaa);
    const frames = new FrameAllocator(mem);
    const f = frames.alloc('table') as Hfn;
    expect(mem.frameBytes(f).every((b) => b === 0)).toBe(true);
    expect(mem.u8[P]).toBe(0xaa);
  });
});
