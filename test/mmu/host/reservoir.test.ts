/*
 * Reservoir: reservations all or nothing, frames handed out one page at a time and zeroed then,
 * the seeded scattered layout (same seed, same frames) and the identity layout, checked against a
 * simple model of which frames are free, handed out and reserved.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Hfn } from '../../../mmu/addr.js';
import { InvariantError } from '../../../mmu/checks.js';
import type { MmuEvent } from '../../../mmu/events.js';
import { EventLog } from '../../../mmu/events.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import type { HostLayout } from '../../../mmu/host/reservoir.js';
import { Reservoir } from '../../../mmu/host/reservoir.js';

const P = 4096;

const reservoir = (frames: number, layout: HostLayout = 'scattered', seed?: number, limit?: number) => {
  const alloc = new FrameAllocator(new HostMemory(frames * P), undefined, { zeroed: true });
  return { alloc, res: new Reservoir(alloc, undefined, { layout, seed, limit }) };
};

/* Take `n` frames with the identity hints 0..n-1; the frames in the order they came. */
const takeAll = (res: Reservoir, n: number): number[] => Array.from({ length: n }, (_, i) => res.take(i));

describe('Reservoir', () => {
  it('reserves all pages or none; exhaustion is a value; frames come out one at a time', () => {
    const { alloc, res } = reservoir(8);
    const r = res.reserve(5);
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.frames.length).toBe(5);
    expect(res.reservedCount).toBe(5);
    expect(res.inUse).toBe(0);
    expect(res.freeCount).toBe(5);
    expect(alloc.freeCount).toBe(3);
    expect(res.reserve(4)).toEqual({ kind: 'exhausted', wanted: 4, free: 3 });
    expect(alloc.freeCount).toBe(3); // nothing taken by the failed request
    const got = takeAll(res, 5);
    expect(new Set(got).size).toBe(5);
    expect(got.every((f) => res.isInUse(f as Hfn) && r.frames.includes(f))).toBe(true);
    expect(res.take(0)).toBe(-1); // every reserved frame is in use
    res.checkInvariants();
    for (const f of got) res.give(f as Hfn);
    expect(() => res.give(got[0] as Hfn)).toThrow(InvariantError);
    res.release(5);
    expect(res.reservedCount).toBe(0);
    expect(alloc.freeCount).toBe(8);
    expect(() => res.release(1)).toThrow(InvariantError);
    res.checkInvariants();
  });

  it('honours a limit below the free frame count', () => {
    const { res } = reservoir(8, 'scattered', 1, 2);
    expect(res.reserve(3)).toEqual({ kind: 'exhausted', wanted: 3, free: 2 });
    expect(res.reserve(2).kind).toBe('ok');
    expect(res.available).toBe(0);
  });

  it('zeroes a frame when it hands it out, not when it reserves it', () => {
    const mem = new HostMemory(2 * P);
    mem.u8.fill(7);
    const res = new Reservoir(new FrameAllocator(mem));
    res.reserve(2);
    expect(mem.u8.every((b) => b === 7)).toBe(true);
    const f = res.take(0) as Hfn;
    expect(mem.isZero(f)).toBe(true);
    expect(mem.frameBytes((1 - f) as Hfn).every((b) => b === 7)).toBe(true);
  });

  it('reports each frame handed out, and nothing per frame reserved', () => {
    const alloc = new FrameAllocator(new HostMemory(4 * P));
    const log = new EventLog<MmuEvent>();
    const res = new Reservoir(alloc, log);
    res.reserve(4);
    expect(log.events).toEqual([]);
    const f = res.take(0);
    expect(log.events).toEqual([{ type: 'frame-alloc', hfn: f, purpose: 'guest' }]);
  });

  it('identity: page i gets the i-th frame set aside, so a fresh allocator gives frame i', () => {
    const { res } = reservoir(64, 'identity');
    res.reserve(64);
    const order = [5, 0, 63, 17, 1];
    expect(order.map((i) => res.take(i))).toEqual(order);
    expect(res.take(5)).not.toBe(5); // taken already: the lowest free frame instead
    res.checkInvariants();
  });

  it('scattered: the same seed gives the same frames, another seed others, and few land on their identity frame', () => {
    const run = (seed: number) => {
      const { res } = reservoir(1024, 'scattered', seed);
      res.reserve(1024);
      return takeAll(res, 1024);
    };
    const a = run(7);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
    expect(new Set(a).size).toBe(1024);
    const fixed = a.filter((f, i) => f === i).length;
    expect(fixed).toBeLessThan(10); // a random permutation has about one fixed point
  });

  it('keeps its stack, states and counts consistent under any reserve / take / give / release (property)', () => {
    type Op = { op: 'reserve' | 'take' | 'give' | 'release'; n: number };
    const ops = fc.array(
      fc.record({ op: fc.constantFrom<Op['op']>('reserve', 'take', 'give', 'release'), n: fc.nat(12) }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(
        ops,
        fc.constantFrom<HostLayout>('scattered', 'identity'),
        fc.nat(1000),
        (list, layout, seed) => {
          const { alloc, res } = reservoir(32, layout, seed);
          let reserved = 0;
          const out: Hfn[] = [];
          for (const o of list) {
            if (o.op === 'reserve') {
              const ok = res.reserve(o.n).kind === 'ok';
              expect(ok).toBe(o.n <= 32 - reserved);
              if (ok) reserved += o.n;
            } else if (o.op === 'take') {
              const f = res.take(o.n);
              expect(f === -1).toBe(out.length === reserved);
              if (f !== -1) {
                expect(out).not.toContain(f);
                out.push(f);
              }
            } else if (o.op === 'give' && out.length > 0) res.give(out.splice(o.n % out.length, 1)[0]);
            else if (o.op === 'release' && o.n <= reserved - out.length) {
              res.release(o.n);
              reserved -= o.n;
            }
            res.checkInvariants();
            alloc.checkInvariants();
            expect([res.reservedCount, res.inUse, alloc.freeCount]).toEqual([
              reserved,
              out.length,
              32 - reserved,
            ]);
          }
        },
      ),
    );
  });
});
