// The event collector against a simple reference model: random event sequences, invariants
// checked after every step.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TuiCollector } from '../../../cli/tui/collector.js';
import type { MmuEvent } from '../../../mmu/events.js';

const client = fc.integer({ min: 0, max: 2 });
const page = fc.integer({ min: 0, max: 7 }).map((p) => p * 0x1000);
const event: fc.Arbitrary<MmuEvent> = fc.oneof(
  fc.record({
    type: fc.constant('fault' as const),
    client,
    gpa: page,
    access: fc.constantFrom('read' as const, 'write' as const, 'exec' as const),
    result: fc.constantFrom('mapped' as const, 'mmio' as const, 'nomap' as const, 'rights' as const),
    hfn: fc.integer({ min: 0, max: 100 }),
  }),
  fc.record({
    type: fc.constant('hold' as const),
    client,
    gpa: page,
    prot: fc.constantFrom(1, 3),
    hfn: fc.nat(50),
  }),
  fc.record({ type: fc.constant('release' as const), client, gpa: page, dirty: fc.boolean() }),
  fc.record({
    type: fc.constant('ad-set' as const),
    gpa: page,
    accessed: fc.constant(true),
    dirty: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('harvest' as const),
    gpa: fc.constant(0),
    len: fc.constant(0x8000),
    dirty: fc.nat(8),
  }),
  fc.record({ type: fc.constant('generation' as const), generation: fc.nat(1000) }),
  fc.record({
    type: fc.constantFrom('client-state' as const),
    client,
    state: fc.constantFrom('IDLE', 'ACTIVE', 'ON_CPU', 'HOLD', 'bogus'),
  }),
  fc.record({ type: fc.constant('populate' as const), gpa: page, len: fc.constant(0x1000) }),
);

describe('TuiCollector', () => {
  it('matches a reference model under random event sequences', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 200 }),
        fc.integer({ min: 1, max: 20 }),
        (events, capacity) => {
          const c = new TuiCollector({ capacity });
          const model = {
            faults: [] as MmuEvent[],
            holds: new Map<number, number[]>(),
            dirty: 0,
            harvests: 0,
            gen: 0,
          };
          const states = new Map<number, string>();
          let lastStamp = c.stamp;
          for (const e of events) {
            c.emit(e);
            if (e.type === 'fault') model.faults.push(e);
            if (e.type === 'hold') model.holds.set(e.client, [...(model.holds.get(e.client) ?? []), e.gpa]);
            if (e.type === 'release') {
              const l = model.holds.get(e.client) ?? [];
              const i = l.indexOf(e.gpa);
              if (i >= 0) l.splice(i, 1);
            }
            if (e.type === 'ad-set' && e.dirty) model.dirty++;
            if (e.type === 'harvest') {
              model.harvests++;
              model.dirty = 0;
            }
            if (e.type === 'generation') model.gen = e.generation;
            if (e.type === 'client-state' && e.state !== 'bogus') states.set(e.client, e.state);
            // invariants after every step
            const { entries, total } = c.faults();
            expect(total).toBe(model.faults.length);
            expect(entries.length).toBe(Math.min(capacity, model.faults.length));
            const expected = model.faults.slice(-capacity);
            entries.forEach((x, i) => {
              const f = expected[i] as Extract<MmuEvent, { type: 'fault' }>;
              expect(x.gpa).toBe(f.gpa);
              expect(x.kind).toBe(f.result === 'mmio' ? 'mmio' : f.access);
              if (i > 0) expect(x.seq).toBeGreaterThan(entries[i - 1].seq);
            });
            for (const id of [0, 1, 2]) {
              expect(c.clientHolds(id).map((h) => h.gpa)).toEqual(model.holds.get(id) ?? []);
              expect(c.clientState(id)).toBe(states.get(id) ?? 'IDLE');
            }
            expect(c.dirtySinceHarvest).toBe(model.dirty);
            expect(c.harvests).toBe(model.harvests);
            expect(c.generation).toBe(model.gen);
            const counts = e.type !== 'populate' && !(e.type === 'ad-set' && !e.dirty);
            if (counts) expect(c.stamp).toBeGreaterThan(lastStamp);
            else expect(c.stamp).toBe(lastStamp);
            lastStamp = c.stamp;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('logs actions and fills with GVAs, and measures the dirty rate from the caller clock', () => {
    const c = new TuiCollector();
    c.emit({
      type: 'fault',
      client: 0,
      gpa: 0x1000,
      access: 'write',
      result: 'mapped',
      hfn: 9,
      gva: 0x40_1000,
    });
    c.emit({ type: 'fault', client: 0, gpa: 0x9000_0000, access: 'read', result: 'mmio' });
    c.logFill('exec', 0x2000, 10, 0x40_2000);
    c.logAction('harvest: 3 pages dirty');
    const e = c.faults().entries;
    expect(e.map((x) => [x.origin, x.kind, x.result ?? x.note])).toEqual([
      ['fault', 'write', 'mapped'],
      ['fault', 'mmio', 'mmio'],
      ['fill', 'exec', 'filled'],
      ['action', 'action', 'harvest: 3 pages dirty'],
    ]);
    expect(e[0].gva).toBe(0x40_1000);
    expect(e[1].gva).toBeUndefined();
    expect(c.dirtyRate(0)).toBe(0);
    for (let i = 0; i < 50; i++) c.emit({ type: 'ad-set', gpa: i * 0x1000, accessed: true, dirty: true });
    expect(c.dirtyRate(100)).toBe(0); // too soon: keeps the last rate
    expect(c.dirtyRate(500)).toBe(100);
  });
});
