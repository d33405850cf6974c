// The run loop takes turns with the UI, pauses before the next slice, and reports a stop once;
// the rate meter measures a counter against the caller's clock.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { adaptSlice, RunLoop, SLICE_GROWTH } from '../../../cli/tui/run-loop.js';
import { RateMeter } from '../../../cli/tui/rate-meter.js';

function harness(stopAfter = Infinity) {
  let clock = 0;
  let slices = 0;
  const queue: (() => void)[] = [];
  const stops: (string | undefined)[] = [];
  const loop = new RunLoop(
    () => {
      slices++;
      clock += 5; // each slice takes 5 ms
      return slices >= stopAfter ? { stopped: true, reason: 'hlt' } : { stopped: false };
    },
    { budgetMs: 16, now: () => clock, schedule: (t) => queue.push(t), onStop: (r) => stops.push(r) },
  );
  const turn = () => queue.shift()?.();
  return { loop, turn, queue, stops, slices: () => slices };
}

describe('RunLoop', () => {
  it('runs slices for one budget per turn, one turn scheduled at a time', () => {
    const h = harness();
    h.loop.resume();
    h.loop.resume();
    expect(h.queue).toHaveLength(1);
    expect(h.slices()).toBe(0);
    h.turn();
    expect(h.slices()).toBe(4); // 5, 10, 15, 20 >= 16
    expect(h.queue).toHaveLength(1);
    h.loop.pause();
    h.turn();
    expect(h.slices()).toBe(4);
    expect(h.queue).toHaveLength(0);
    expect(h.loop.running).toBe(false);
  });

  it('stops for good and reports it once; stepping after a stop does nothing', () => {
    const h = harness(6);
    h.loop.resume();
    h.turn();
    h.turn();
    expect(h.slices()).toBe(6);
    expect(h.stops).toEqual(['hlt']);
    expect(h.loop.stopped).toBe(true);
    expect(h.queue).toHaveLength(0);
    h.loop.resume();
    expect(h.queue).toHaveLength(0);
    expect(h.loop.runOne()).toEqual({ stopped: true });
    expect(h.slices()).toBe(6);
  });

  it('a slice that asks to wait ends the turn, and the next turn comes on the timer', () => {
    const queue: (() => void)[] = [];
    const later: { turn: () => void; ms: number }[] = [];
    let slices = 0;
    const loop = new RunLoop(
      () => {
        slices++;
        return { stopped: false, waitMs: 20 };
      },
      {
        now: () => 0,
        schedule: (t) => queue.push(t),
        scheduleLater: (turn, ms) => later.push({ turn, ms }),
      },
    );
    loop.resume();
    queue.shift()!();
    expect(slices).toBe(1); // not the whole budget: the slice said wait
    expect(queue).toHaveLength(0);
    expect(later.map((l) => l.ms)).toEqual([20]);
    loop.pause();
    loop.resume(); // a turn is already pending: no second one
    expect(queue).toHaveLength(0);
    later.shift()!.turn();
    expect(slices).toBe(2);
    expect(later).toHaveLength(1);
  });

  it('runOne runs a single slice while paused', () => {
    const h = harness(2);
    expect(h.loop.runOne().stopped).toBe(false);
    expect(h.loop.runOne()).toEqual({ stopped: true, reason: 'hlt' });
    expect(h.stops).toEqual(['hlt']);
  });
});

describe('RateMeter', () => {
  it('measures over at least minMs and holds the rate in between', () => {
    const m = new RateMeter(250);
    expect(m.sample(0, 0)).toBe(0);
    expect(m.sample(1000, 100)).toBe(0);
    expect(m.sample(3000, 500)).toBe(6000);
    expect(m.sample(3500, 600)).toBe(6000);
    expect(m.sample(2000, 700)).toBe(0); // counter went back (reset): start again
  });
});

describe('adaptSlice', () => {
  it('grows quick slices, shrinks slow ones, and stays within [base, base x SLICE_GROWTH]', () => {
    expect(adaptSlice(100, 0.2, 100)).toBe(200);
    expect(adaptSlice(400, 9, 100)).toBe(200);
    expect(adaptSlice(400, 2, 100)).toBe(400);
    expect(adaptSlice(100, 50, 100)).toBe(100);
    expect(adaptSlice(100 * SLICE_GROWTH, 0, 100)).toBe(100 * SLICE_GROWTH);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e6 }),
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { maxLength: 50 }),
        (base, times) => {
          let size = base;
          for (const t of times) {
            const next = adaptSlice(size, t, base);
            expect(next).toBeGreaterThanOrEqual(base);
            expect(next).toBeLessThanOrEqual(base * SLICE_GROWTH);
            expect(Number.isInteger(next)).toBe(true);
            if (t > 4) expect(next).toBeLessThanOrEqual(size);
            if (t < 1) expect(next).toBeGreaterThanOrEqual(size);
            size = next;
          }
        },
      ),
    );
  });
});
