/*
 * Same-page merging against a model, once per entry format. Two VMs of PAGES pages each share one
 * host; random reads and writes (a write fills the whole page with one of three bytes, so pages
 * often agree), scanner passes of random length and disconnects of shared frames run in any order.
 * Every page is written first (one of two bytes) and two full passes follow (a page is merged at
 * its second look), so the random steps start with much merged.
 * The model is, per VM and page, the byte the page holds (0 until written). After every step:
 *   - every page that has a frame holds exactly the model's bytes (a write to a merged page never
 *     shows in another page, a merge never changes what a page holds);
 *   - no PTE that maps a shared frame grants write, in any VM; a shared frame's PV list has one PTE
 *     per present leaf that maps it, over all VMs;
 *   - a write to a merged page broke its share (the page has a frame of its own after it) and moved
 *     the writer's generation when it had a leaf; a disconnect moved the generation of every VM it
 *     cleared a PTE in;
 *   - the frames in use are the distinct frames of the pages; the pmap's PV sweep (NESTVM_CHECKS=full
 *     also runs it after every entry write), the vmspaces', the pool's, the reservoir's and the
 *     book's sweeps pass.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Hfn } from '../../../mmu/addr.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';
import { PROT_WRITE } from '../../../mmu/prot.js';
import { makeMergeHost, type MergeHost } from './merge-rig.js';

const PAGES = 6;
const VMS = 2;

type Op =
  | { op: 'read' | 'write'; vm: number; page: number; byte: number }
  | { op: 'pass'; pages: number }
  | { op: 'disconnect'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constantFrom<'read' | 'write'>('read', 'write'),
    vm: fc.integer({ min: 0, max: VMS - 1 }),
    page: fc.integer({ min: 0, max: PAGES - 1 }),
    byte: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ op: fc.constant<'pass'>('pass'), pages: fc.integer({ min: 1, max: 2 * VMS * PAGES }) }),
  fc.record({ op: fc.constant<'disconnect'>('disconnect'), pick: fc.nat() }),
);

/* What the pages hold before the random steps: every page written, with one of two bytes. */
const initArb = fc.array(fc.integer({ min: 0, max: 1 }), { minLength: VMS * PAGES, maxLength: VMS * PAGES });

function sharedFrames(h: MergeHost): Hfn[] {
  const out: Hfn[] = [];
  for (let f = 0; f < h.shares.sharers.length; f++) if (h.shares.sharers[f] > 0) out.push(f as Hfn);
  return out;
}

function step(h: MergeHost, model: number[][], o: Op): void {
  if (o.op === 'pass') h.scanner.pass(o.pages);
  else if (o.op === 'disconnect') {
    const all = sharedFrames(h);
    if (all.length === 0) return;
    const s = all[o.pick % all.length];
    const touched = new Set(h.pmap.mappings(s).map((pte) => h.vmOfPte(pte)));
    const gens = h.vms.map((v) => v.space.generation);
    h.vms[0].space.disconnectFrame(s);
    expect(h.pmap.mappingCount(s)).toBe(0);
    for (const v of touched) expect(h.vms[v].space.generation).toBeGreaterThan(gens[v]);
  } else {
    const { ram, space } = h.vms[o.vm];
    const wasShared = ram.isSharedAt(o.page * 4096);
    const hadLeaf = space.gpt.lookup((o.page * 4096) as never) !== null;
    const gen = space.generation;
    const f = h.access(o.vm, o.page, o.op);
    if (o.op === 'write') {
      h.mem.frameBytes(f).fill(o.byte);
      model[o.vm][o.page] = o.byte;
      expect(ram.isSharedAt(o.page * 4096)).toBe(false);
      if (wasShared && hadLeaf) expect(space.generation).toBeGreaterThan(gen);
    }
  }
}

function checkAgainstModel(h: MergeHost, model: number[][]): void {
  h.check();
  const distinct = new Set<number>();
  for (let v = 0; v < VMS; v++)
    for (let p = 0; p < PAGES; p++) {
      const f = h.vms[v].ram.currentFrame(p * 4096);
      if (f === -1) {
        expect(model[v][p]).toBe(0);
        continue;
      }
      distinct.add(f);
      const bytes = h.mem.frameBytes(f);
      expect(bytes[0] === model[v][p] && bytes.every((b) => b === bytes[0])).toBe(true);
    }
  expect(h.reservoir.inUse).toBe(distinct.size);
  for (const s of sharedFrames(h)) {
    let leaves = 0;
    for (const { space } of h.vms) {
      const it = space.gpt.iterate(0 as never, PAGES * 4096);
      while (it.next()) if (space.gpt.lookup(it.gpa as never)?.frame === s) leaves++;
    }
    expect(h.pmap.mappingCount(s)).toBe(leaves);
    for (const pte of h.pmap.mappings(s))
      expect(h.vms[h.vmOfPte(pte)].space.gpt.protAt(pte) & PROT_WRITE).toBe(0);
  }
  expect(h.shares.framesSaved).toBe(h.shares.counters.sharing - h.shares.counters.shared);
}

describe.each<FormatName>(['ept', 'npt', 's2'])('merging against a model on %s', (format) => {
  it('random writes, reads, passes and disconnects keep every page its bytes', () => {
    const seen = { merges: 0, cowBreaks: 0, multiMapped: 0 };
    fc.assert(
      fc.property(initArb, fc.array(opArb, { minLength: 1, maxLength: 25 }), (init, ops) => {
        const h = makeMergeHost(format, VMS, PAGES);
        const model = Array.from({ length: VMS }, () => new Array<number>(PAGES).fill(0));
        init.forEach((byte, i) =>
          step(h, model, { op: 'write', vm: i % VMS, page: Math.floor(i / VMS), byte }),
        );
        for (let round = 0; round < 2; round++) step(h, model, { op: 'pass', pages: VMS * PAGES });
        for (const o of ops) {
          step(h, model, o);
          checkAgainstModel(h, model);
          if (sharedFrames(h).some((s) => h.pmap.mappingCount(s) > 1)) seen.multiMapped++;
        }
        seen.merges += h.shares.counters.merges;
        seen.cowBreaks += h.shares.counters.cowBreaks;
      }),
      { numRuns: 10, seed: 14 },
    );
    // the runs did merge, map a shared frame twice and break shares (else they proved nothing)
    expect(seen.merges).toBeGreaterThan(0);
    expect(seen.cowBreaks).toBeGreaterThan(0);
    expect(seen.multiMapped).toBeGreaterThan(0);
  });
});
