import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../../mmu/events.js';
import type { MmuEvent } from '../../../mmu/events.js';
import { InvariantError } from '../../../mmu/checks.js';
import { PV_NIL, PvPool } from '../../../mmu/host/pv-pool.js';

describe('PvPool', () => {
  it('starts with the reserve filled to the low-water mark', () => {
    const log = new EventLog<MmuEvent>();
    const pool = new PvPool({ batch: 4, lowWater: 6 }, log);
    expect(pool.stats).toMatchObject({ reserve: 8, carved: 8, inUse: 0, ringBatches: 0, feeds: 0 });
    expect(log.events).toEqual([{ type: 'pv-refill', where: 'reserve', count: 8 }]);
    pool.checkInvariants();
  });

  it('first alloc feeds a batch into the ring and moves it to the cpu list', () => {
    const log = new EventLog<MmuEvent>();
    const pool = new PvPool({ batch: 4, lowWater: 0 }, log);
    const e = pool.alloc();
    expect(pool.slots[2 * e]).toBe(PV_NIL);
    expect(pool.slots[2 * e + 1]).toBe(PV_NIL);
    expect(pool.stats).toMatchObject({
      carved: 4,
      inUse: 1,
      cpuFree: [3],
      ringBatches: 0,
      feeds: 1,
      cpuRefills: 1,
    });
    expect(log.events.map((x) => (x.type === 'pv-refill' ? x.where : x.type))).toEqual(['global', 'cpu']);
    pool.checkInvariants();
  });

  it('each vCPU has its own free list', () => {
    const pool = new PvPool({ cpus: 2, batch: 2, lowWater: 0 });
    const a = pool.alloc();
    pool.currentCpu = 1;
    const b = pool.alloc();
    expect(pool.stats.cpuFree).toEqual([1, 1]);
    pool.free(a); // goes to cpu 1's list now
    expect(pool.stats.cpuFree).toEqual([1, 2]);
    expect(pool.alloc()).toBe(a); // LIFO on cpu 1
    pool.free(b);
    pool.checkInvariants();
    expect(() => (pool.currentCpu = 2)).toThrow(InvariantError);
  });

  it('spills a batch to the reserve while it is below low water, then to the ring', () => {
    const pool = new PvPool({ batch: 2, lowWater: 2, initialCapacity: 2 });
    expect(pool.stats.reserve).toBe(2);
    const got = [0, 1, 2, 3, 4, 5].map(() => pool.alloc());
    expect(pool.stats.capacity).toBeGreaterThanOrEqual(8); // the arena grew
    for (const e of got.slice(0, 4)) pool.free(e); // cpu list reaches 2*batch: spill one batch
    expect(pool.stats).toMatchObject({ spills: 1, ringBatches: 1, reserve: 2, cpuFree: [2] });
    pool.checkInvariants();
  });

  it('takes from the reserve only when the arena is capped, and throws when all is gone', () => {
    const pool = new PvPool({ batch: 2, lowWater: 2, maxEntries: 4 });
    const got = [0, 1, 2, 3].map(() => pool.alloc());
    expect(new Set(got).size).toBe(4);
    expect(pool.stats).toMatchObject({ reserveTakes: 2, reserve: 0, carved: 4 });
    expect(() => pool.alloc()).toThrow(InvariantError);
    for (const e of got) pool.free(e);
    expect(pool.stats.inUse).toBe(0);
    pool.checkInvariants();
  });

  it('random alloc/free/cpu switches keep every entry in exactly one place', () => {
    const op = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(100));
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 10, maxLength: 300, size: 'max' }),
        fc.integer({ min: 1, max: 4 }),
        (ops, batch) => {
          const pool = new PvPool({ cpus: 3, batch, ringSize: 2, lowWater: batch + 1, initialCapacity: 1 });
          const live: number[] = [];
          for (const [kind, n] of ops) {
            if (kind <= 1) {
              const e = pool.alloc();
              expect(live.includes(e)).toBe(false);
              live.push(e);
            } else if (kind === 2 && live.length > 0) {
              pool.free(live.splice(n % live.length, 1)[0]);
            } else if (kind === 3) pool.currentCpu = n % 3;
            const mark = new Uint8Array(pool.stats.capacity);
            for (const e of live) mark[e] = 1;
            pool.checkInvariants(mark);
            expect(pool.inUse).toBe(live.length);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
