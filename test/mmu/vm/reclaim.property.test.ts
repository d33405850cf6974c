/*
 * Reclaim against a model, once per entry format. A paged object of PAGES pages lives on a host
 * with room for FRAMES of them; random reads, writes, harvests and pins go through the GPT as the
 * fill path would (a missing leaf: frameFor, then mapAt; a hit: markAccessed, and on a write the
 * bytes change). The model is a Map page -> the byte last written there (the whole page holds it).
 * After every step:
 *   - every resident page's frame holds the model's bytes, every swapped-out page the store's copy
 *     holds them, and no page is both;
 *   - the frames in use never exceed the host's, and evictions = swap-outs + clean drops;
 *   - a clean drop happens only to a page that was swapped in and not written since (the model
 *     keeps that flag), and such a page is never written to the store again on eviction;
 *   - the pmap, GPT, pool and reclaimer sweeps pass.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Gpa, Hfn } from '../../../mmu/addr.js';
import { EventLog, type MmuEvent } from '../../../mmu/events.js';
import { FORMATS } from '../../../mmu/gpt/formats.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { makePolicy, type PolicyName } from '../../../mmu/host/replacement-policy.js';
import { TablePool } from '../../../mmu/host/table-pool.js';
import { PROT_ALL } from '../../../mmu/prot.js';
import { Reclaimer } from '../../../mmu/vm/reclaim.js';
import { Vmspace } from '../../../mmu/vm/vmspace.js';

const PAGES = 24;
const FRAMES = 6; // frames for guest pages; the tables get their own
const TABLE_FRAMES = 6;

function rig(format: FormatName, policy: PolicyName, seed: number) {
  const mem = new HostMemory((FRAMES + TABLE_FRAMES) * 4096);
  const log = new EventLog<MmuEvent>();
  const frames = new FrameAllocator(mem, undefined, { zeroed: true });
  const pmap = new Pmap(mem);
  const pool = new TablePool(frames, pmap, { reserve: 0 });
  const vms = new Vmspace({ format: FORMATS[format], mem, pmap, pool });
  vms.gpt.populate(0 as Gpa, PAGES * 4096); // the tables first: what is left is guest frames
  let guestFrames = 0;
  const take = (): Hfn | -1 => {
    if (guestFrames === FRAMES) return -1;
    const f = frames.alloc('guest');
    if (f !== -1) guestFrames++;
    return f;
  };
  const source = {
    give: (f: Hfn): void => {
      frames.free(f);
      guestFrames--;
    },
  };
  const rc = new Reclaimer({
    space: vms,
    policy: makePolicy(policy, mem.frameCount, { seed }),
    source,
    sink: log,
  });
  const frameOf = new Int32Array(PAGES).fill(-1);
  const id = rc.register({ name: 'obj', pages: PAGES, pageEvicted: (p) => (frameOf[p] = -1) });
  return { mem, pmap, pool, frames, vms, rc, id, frameOf, log, take, guestFrames: () => guestFrames };
}

type Rig = ReturnType<typeof rig>;

/* The fill path for one access: a missing leaf is a fault (frameFor + mapAt), then A/D as hardware. */
function touch(r: Rig, page: number, write: boolean, byte: number): boolean {
  const gpa = (page * 4096) as Gpa;
  if (r.frameOf[page] === -1) {
    const f = r.rc.frameFor(r.id, page, r.take);
    if (f === -1) return false;
    r.frameOf[page] = f;
  }
  const st = r.vms.gpt.mapAt(gpa, r.frameOf[page] as Hfn, PROT_ALL, 'wb');
  expect(st === 'mapped' || st === 'exists').toBe(true);
  r.vms.gpt.markAccessed(r.vms.gpt.leafPte(gpa) as never, write);
  if (write) r.mem.frameBytes(r.frameOf[page] as Hfn).fill(byte);
  return true;
}

const ops = fc.array(fc.tuple(fc.nat(9), fc.nat(PAGES - 1), fc.nat(255)), { minLength: 20, maxLength: 160 });

for (const format of ['ept', 'npt', 's2'] as FormatName[]) {
  for (const policy of ['clock', 'fifo', 'random'] as PolicyName[]) {
    describe(`reclaim (${format}, ${policy}) against a model`, () => {
      it('content is exact across swap; clean pages are dropped, not written', () => {
        fc.assert(
          fc.property(ops, fc.nat(), (steps, seed) => {
            const r = rig(format, policy, seed);
            const content = new Map<number, number>(); // page -> byte (absent: zero)
            const cleanCopy = new Set<number>(); // swapped in and not written since
            const out = new Uint8Array(4096);
            for (const [kind, page, byte] of steps) {
              if (kind === 9) {
                const bits = new Uint8Array(Math.ceil(PAGES / 8));
                r.vms.gpt.harvestDirty(0 as Gpa, PAGES * 4096, bits); // takes Dirty: must not fool reclaim
                continue;
              }
              const write = kind < 5;
              const wasSwapped = r.rc.isSwapped(r.id, page);
              const writesBefore = r.rc.store.writes;
              const dropsBefore = r.rc.counters.cleanDrops;
              const cleanBefore = new Set(cleanCopy);
              expect(touch(r, page, write, byte)).toBe(true);
              if (write) {
                content.set(page, byte);
                cleanCopy.delete(page);
              } else if (wasSwapped) cleanCopy.add(page);
              // an eviction during this touch: a clean drop only of a page the model knows is clean
              for (const e of r.log.events.splice(0)) {
                if (e.type !== 'evict') continue;
                expect(e.dirty).toBe(!cleanBefore.has(e.page));
                cleanCopy.delete(e.page);
              }
              if (r.rc.counters.cleanDrops === dropsBefore)
                expect(r.rc.store.writes).toBeGreaterThanOrEqual(writesBefore);
              for (let p = 0; p < PAGES; p++) {
                const want = content.get(p) ?? 0;
                if (r.frameOf[p] !== -1) {
                  const bytes = r.mem.frameBytes(r.frameOf[p] as Hfn);
                  if (bytes[0] !== want || bytes[4095] !== want)
                    throw new Error(`page ${p} resident with wrong bytes`);
                  expect(r.rc.isSwapped(r.id, p)).toBe(false);
                } else if (r.rc.isSwapped(r.id, p)) {
                  expect(r.rc.store.get(r.id, p, out)).toBe(true);
                  if (out[0] !== want || out[4095] !== want)
                    throw new Error(`page ${p} swapped with wrong bytes`);
                } else expect(want).toBe(0);
              }
              expect(r.guestFrames()).toBeLessThanOrEqual(FRAMES);
              expect(r.rc.framesInUse).toBe(r.guestFrames());
              r.rc.checkInvariants();
            }
            r.vms.gpt.checkInvariants();
            r.pool.checkInvariants();
            r.frames.checkInvariants();
            const c = r.rc.counters;
            expect(c.evictions).toBe(c.swapOuts + c.cleanDrops);
          }),
          { numRuns: 12 },
        );
      });
    });
  }
}

describe('reclaim: pins, holds and exhaustion', () => {
  it('a pinned frame is never chosen; nothing eligible is a -1, not a loop', () => {
    const r = rig('ept', 'clock', 1);
    for (let p = 0; p < FRAMES; p++) expect(touch(r, p, true, p + 1)).toBe(true);
    for (let p = 0; p < FRAMES; p++) r.rc.pin(r.frameOf[p] as Hfn);
    expect(r.rc.frameFor(r.id, FRAMES, r.take)).toBe(-1);
    r.rc.exclude = () => true; // forward progress's set: nothing may go either
    for (let p = 0; p < FRAMES; p++) r.rc.unpin(r.frameOf[p] as Hfn);
    expect(r.rc.frameFor(r.id, FRAMES, r.take)).toBe(-1);
    r.rc.exclude = (f) => f !== r.frameOf[3];
    const f3 = r.frameOf[3];
    expect(touch(r, FRAMES, false, 0)).toBe(true);
    expect(r.frameOf[3]).toBe(-1);
    expect(r.frameOf[FRAMES]).toBe(f3);
    expect(r.rc.recentVictims().map((v) => v.page)).toEqual([3]);
    expect(r.rc.counters).toEqual({ evictions: 1, swapOuts: 1, swapIns: 0, cleanDrops: 0 });
    r.rc.checkInvariants();
  });

  it('a page swapped in and only read is dropped clean, its copy kept; a written one goes out again', () => {
    const r = rig('s2', 'fifo', 1);
    for (let p = 0; p <= FRAMES; p++) touch(r, p, true, 40 + p); // page 0 goes out
    expect(r.rc.isSwapped(r.id, 0)).toBe(true);
    touch(r, 0, false, 0); // swap-in: page 1 goes out
    expect(r.rc.counters).toEqual({ evictions: 2, swapOuts: 2, swapIns: 1, cleanDrops: 0 });
    for (let p = FRAMES + 1; p < 2 * FRAMES + 1; p++) touch(r, p, false, 0); // fifo: page 0 again
    expect(r.rc.isSwapped(r.id, 0)).toBe(true);
    expect(r.rc.counters.cleanDrops).toBe(1);
    const evictsOf0 = () =>
      r.log.events.flatMap((e) => (e.type === 'evict' && e.page === 0 ? [e.dirty] : []));
    expect(evictsOf0()).toEqual([true, false]);
    touch(r, 0, true, 77); // back in, and written this time
    for (let p = 2 * FRAMES + 1; p < PAGES; p++) touch(r, p, false, 0);
    expect(r.rc.isSwapped(r.id, 0)).toBe(true);
    expect(evictsOf0()).toEqual([true, false, true]);
    const out = new Uint8Array(4096);
    r.rc.store.get(r.id, 0, out);
    expect(out[100]).toBe(77);
    r.rc.checkInvariants();
  });

  it('clock gives an accessed page a second chance; fifo does not', () => {
    for (const [policy, victim] of [
      ['clock', 1],
      ['fifo', 0],
    ] as const) {
      const r = rig('npt', policy, 1);
      for (let p = 0; p < FRAMES; p++) touch(r, p, true, 9);
      // clear every Accessed bit by one full clock sweep's worth of work, then touch page 0 again
      for (let p = 0; p < FRAMES; p++) r.vms.gpt.resetAccessed((p * 4096) as Gpa);
      touch(r, 0, false, 0);
      touch(r, FRAMES, false, 0);
      expect(r.frameOf[victim]).toBe(-1);
      expect(r.rc.recentVictims()[0].page).toBe(victim);
    }
  });
});
