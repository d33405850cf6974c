/*
 * PV lists under load: a few frames, each mapped at many PTE locations, entered and removed in random
 * order against a Map model. After every step: the set of PTEs per frame, the head kind, and the
 * exact number of PV entries in use (a list of n mappings uses ceil(n/2) entries, because only the
 * first entry may be half full) -- plus the pmap's own full sweep (fullChecks is on in tests).
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gpa } from '../../../mmu/addr.js';
import type { Hfn, Hpa } from '../../../mmu/addr.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { FakeOwner } from './fake-owner.js';

describe('PV lists against a model', () => {
  it('many mappings per frame: enter, remove, disconnect', () => {
    const op = fc.tuple(fc.integer({ min: 0, max: 9 }), fc.nat(1023), fc.nat(2));
    fc.assert(
      fc.property(fc.array(op, { minLength: 50, maxLength: 400, size: 'max' }), (ops) => {
        const mem = new HostMemory(8 * 4096);
        const frames = new FrameAllocator(mem);
        const pmap = new Pmap(mem, undefined, {
          pv: { cpus: 2, batch: 3, ringSize: 2, lowWater: 2, initialCapacity: 1 },
        });
        const owner = new FakeOwner(pmap);
        const tables = [0, 1].map((i) => {
          const t = frames.alloc('table') as Hfn;
          pmap.setDescriptor(t, owner.ownerId, 1, gpa(i * 0x20_0000));
          return t;
        });
        const guests = [0, 1, 2].map(() => frames.alloc('guest') as Hfn);
        const model = new Map<number, number>(); // pte -> guest index
        const pteOf = (n: number): Hpa => owner.pteOf(tables[n >> 9], n & 511);
        for (const [kind, n, g] of ops) {
          const pte = pteOf(n);
          if (kind <= 5) {
            if (!model.has(pte)) {
              owner.map(pte, guests[g]);
              model.set(pte, g);
            }
          } else if (kind <= 8) {
            const keys = [...model.keys()];
            if (keys.length === 0) continue;
            const p = keys[n % keys.length];
            owner.unmap(p as Hpa);
            model.delete(p);
          } else {
            pmap.currentCpu = n % 2;
            if (n % 7 === 0) {
              const want = [...model.entries()].filter(([, x]) => x === g).length;
              expect(pmap.disconnect(guests[g])).toBe(want);
              for (const [p, x] of [...model.entries()]) if (x === g) model.delete(p);
            }
          }
          let entries = 0;
          for (let gi = 0; gi < 3; gi++) {
            const want = [...model.entries()].filter(([, x]) => x === gi).map(([p]) => p);
            const got = pmap.mappings(guests[gi]);
            if (got.length !== want.length || !want.every((p) => got.includes(p as Hpa)))
              throw new Error(`frame ${guests[gi]}: PV ${got} but model ${want}`);
            const kindWanted = want.length === 0 ? 'empty' : want.length === 1 ? 'single' : 'list';
            if (pmap.headKind(guests[gi]) !== kindWanted) throw new Error(`frame ${guests[gi]}: head kind`);
            if (want.length >= 2) entries += Math.ceil(want.length / 2);
          }
          if (pmap.pool.inUse !== entries)
            throw new Error(`PV entries in use ${pmap.pool.inUse}, want ${entries}`);
        }
        pmap.checkInvariants(frames);
      }),
      { numRuns: 60 },
    );
  });
});
