/*
 * Replacement policies against simple array models. Random streams of admit / forget / access /
 * pin / choose over a few frames; after every step the policy's ring holds the model's members in
 * the model's order, and every choice is the one the model makes:
 *   fifo   the oldest eligible member
 *   clock  sweep from the hand, clearing Accessed, first eligible member with Accessed clear
 *   random a member that is eligible, the same sequence for the same seed
 * and the script hook sees the eligible candidates oldest first, with their Accessed/Dirty state.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Gpa, Hfn } from '../../../mmu/addr.js';
import { ClockPolicy } from '../../../mmu/host/clock-policy.js';
import { makePolicy } from '../../../mmu/host/replacement-policy.js';
import type { FrameState, PolicyName, ReclaimCandidate } from '../../../mmu/host/replacement-policy.js';
import { ResidentRing } from '../../../mmu/host/resident-ring.js';

const FRAMES = 12;

class ModelState implements FrameState {
  readonly acc = new Set<number>();
  readonly pinned = new Set<number>();
  readonly written = new Set<number>();
  clears = 0;
  togglePin(f: number): void {
    if (!this.pinned.delete(f)) this.pinned.add(f);
  }
  eligible = (f: Hfn): boolean => !this.pinned.has(f);
  accessed = (f: Hfn): boolean => this.acc.has(f);
  clearAccessed = (f: Hfn): void => {
    this.acc.delete(f);
    this.clears++;
  };
  dirty = (f: Hfn): boolean => this.written.has(f);
  describe = (f: Hfn): { gpa: Gpa; object: string; page: number } => ({
    gpa: (f * 4096) as Gpa,
    object: 'ram',
    page: f,
  });
}

/* The clock, with an array for the ring and an index for the hand. */
class ClockModel {
  ring: number[] = [];
  hand = 0;
  admit(f: number): void {
    this.ring.splice(this.hand, 0, f);
    if (this.ring.length > 1) this.hand++;
  }
  forget(f: number): void {
    const i = this.ring.indexOf(f);
    this.ring.splice(i, 1);
    if (i < this.hand) this.hand--;
    if (this.hand >= this.ring.length) this.hand = 0;
  }
  choose(s: ModelState): number {
    for (let step = 0; step < 2 * this.ring.length; step++) {
      const f = this.ring[this.hand];
      this.hand = (this.hand + 1) % this.ring.length;
      if (s.pinned.has(f)) continue;
      if (!s.acc.has(f)) return f;
      s.acc.delete(f);
    }
    return -1;
  }
  /** The ring read from the hand, as the policy's ring is read from its hand. */
  fromHand(): number[] {
    return [...this.ring.slice(this.hand), ...this.ring.slice(0, this.hand)];
  }
}

const fromHand = (ring: ResidentRing, hand: number): number[] => {
  const order = ring.inOrder();
  const i = order.indexOf(hand as Hfn);
  return i < 0 ? order : [...order.slice(i), ...order.slice(0, i)];
};

const opArb = fc.array(fc.tuple(fc.nat(5), fc.nat(FRAMES - 1)), { minLength: 10, maxLength: 200 });

describe('replacement policies against models', () => {
  it('clock: second chance from the hand, newcomers behind it', () => {
    fc.assert(
      fc.property(opArb, (ops) => {
        const p = new ClockPolicy(FRAMES);
        const m = new ClockModel();
        const s = new ModelState();
        for (const [kind, f] of ops) {
          const member = m.ring.includes(f);
          if (kind === 0 && !member) {
            p.admit(f as Hfn);
            m.admit(f);
          } else if (kind === 1 && member) {
            p.forget(f as Hfn);
            m.forget(f);
          } else if (kind === 2) s.acc.add(f);
          else if (kind === 3) s.togglePin(f);
          else if (kind >= 4) {
            const accBefore = new Set(s.acc);
            const want = m.choose(s);
            const gotAcc = new Set(s.acc);
            s.acc.clear();
            for (const x of accBefore) s.acc.add(x);
            expect(p.choose(s)).toBe(want);
            expect([...s.acc].sort()).toEqual([...gotAcc].sort());
            if (want !== -1) {
              p.forget(want as Hfn);
              m.forget(want);
            }
          }
          p.members.checkInvariants();
          expect(fromHand(p.members, p.hand)).toEqual(m.fromHand());
        }
      }),
      { numRuns: 150 },
    );
  });

  it('fifo: the oldest eligible member, Accessed or not', () => {
    fc.assert(
      fc.property(opArb, (ops) => {
        const p = makePolicy('fifo', FRAMES);
        const order: number[] = [];
        const s = new ModelState();
        for (const [kind, f] of ops) {
          const member = order.includes(f);
          if (kind <= 1 && !member) {
            p.admit(f as Hfn);
            order.push(f);
          } else if (kind === 2 && member) {
            p.forget(f as Hfn);
            order.splice(order.indexOf(f), 1);
          } else if (kind === 3) s.togglePin(f);
          else if (kind >= 4) {
            s.acc.add(f);
            const want = order.find((x) => !s.pinned.has(x)) ?? -1;
            expect(p.choose(s)).toBe(want);
            expect(s.clears).toBe(0);
            if (want !== -1) {
              p.forget(want as Hfn);
              order.splice(order.indexOf(want), 1);
            }
          }
          expect(p.members.inOrder()).toEqual(order);
          expect(p.hand).toBe(order.length > 0 ? order[0] : -1);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('random: eligible members only, the same victims for the same seed', () => {
    fc.assert(
      fc.property(opArb, fc.nat(), (ops, seed) => {
        const run = (): number[] => {
          const p = makePolicy('random', FRAMES, { seed });
          const s = new ModelState();
          const got: number[] = [];
          for (const [kind, f] of ops) {
            const member = p.members.has(f as Hfn);
            if (kind <= 1 && !member) p.admit(f as Hfn);
            else if (kind === 2 && member) p.forget(f as Hfn);
            else if (kind === 3) s.togglePin(f);
            else if (kind >= 4) {
              const v = p.choose(s);
              const any = p.members.inOrder().some((x) => !s.pinned.has(x));
              expect(v === -1).toBe(!any);
              if (v !== -1) {
                expect(p.members.has(v) && !s.pinned.has(v)).toBe(true);
                p.forget(v);
              }
              got.push(v);
            }
            p.members.checkInvariants();
          }
          return got;
        };
        expect(run()).toEqual(run());
      }),
      { numRuns: 100 },
    );
  });

  it('script: the hook sees eligible candidates oldest first and picks by index', () => {
    const seen: ReclaimCandidate[][] = [];
    const p = makePolicy('clock' as PolicyName, FRAMES, {
      hook: (cands, ctl) => {
        seen.push([...cands]);
        ctl.clearAccessed(0);
        return cands.length - 1;
      },
    });
    const s = new ModelState();
    for (const f of [5, 2, 9, 7]) p.admit(f as Hfn);
    s.acc.add(5);
    s.acc.add(9);
    s.written.add(2);
    s.pinned.add(7);
    expect(p.name).toBe('script');
    expect(p.choose(s)).toBe(9);
    expect(seen[0].map((c) => [c.hfn, c.accessed, c.dirty, c.gpa])).toEqual([
      [5, true, false, 5 * 4096],
      [2, false, true, 2 * 4096],
      [9, true, false, 9 * 4096],
    ]);
    expect(s.acc.has(5)).toBe(false);
    const bad = makePolicy('fifo', FRAMES, { hook: () => 7.5 });
    bad.admit(1 as Hfn);
    expect(() => bad.choose(s)).toThrow(/reclaim hook answered 7.5/);
  });

  it("script: an answer { victim, writeBack } is the policy's word on writing back; a bad one throws", () => {
    const s = new ModelState();
    let answer: unknown = { victim: 1, writeBack: false };
    const p = makePolicy('fifo', FRAMES, { hook: () => answer as never });
    for (const f of [4, 6, 3]) p.admit(f as Hfn);
    expect(p.decide!(s)).toEqual({ victim: 6, writeBack: false });
    answer = 2;
    expect(p.decide!(s)).toEqual({ victim: 3 });
    expect(p.choose(s)).toBe(3);
    answer = { victim: 0, writeBack: 'yes' };
    expect(() => p.decide!(s)).toThrow(/reclaim hook answered writeBack yes/);
    answer = { victim: 3, writeBack: true };
    expect(() => p.decide!(s)).toThrow(/reclaim hook answered 3: want an index below 3/);
    expect(makePolicy('clock', FRAMES).decide).toBeUndefined();
  });

  it('ring: join before a member, leave the head, k-th member', () => {
    const r = new ResidentRing(8);
    r.join(3 as Hfn);
    r.join(4 as Hfn);
    r.join(6 as Hfn, 4 as Hfn);
    expect(r.inOrder()).toEqual([3, 6, 4]);
    r.leave(3 as Hfn);
    expect(r.head).toBe(6);
    expect([r.nth(0), r.nth(1)].sort()).toEqual([4, 6]);
    r.checkInvariants();
  });
});
