// The ticker keeps its average rate when every tick runs late, starts again after a long stall,
// and never ticks after stop().
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startTicker } from '../../../cli/tui/ticker.js';
import type { TickerClock } from '../../../cli/tui/ticker.js';

/* A fake clock whose timers fire `late(n)` ms after they are due (the n-th timer). */
function fakeClock(late: (n: number) => number) {
  let t = 0;
  let n = 0;
  let pending: { at: number; fn: () => void } | null = null;
  const clock: TickerClock = {
    now: () => t,
    setTimer: (fn, ms) => {
      expect(pending).toBeNull(); // at most one timer pending
      pending = { at: t + ms + late(n++), fn };
      return pending;
    },
    clearTimer: (h) => {
      if (h === pending) pending = null;
    },
  };
  const runUntil = (end: number) => {
    while (pending && pending.at <= end) {
      const p: { at: number; fn: () => void } = pending;
      pending = null;
      t = p.at;
      p.fn();
    }
    t = end;
  };
  return { clock, runUntil, pendingTimer: () => pending };
}

describe('startTicker', () => {
  it('keeps the asked rate when each tick is late by up to a run-loop turn', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 20 }), (lates) => {
        const { clock, runUntil } = fakeClock((n) => lates[n % lates.length]);
        let ticks = 0;
        const stop = startTicker(() => ticks++, 100, clock);
        runUntil(10_000);
        stop();
        expect(ticks).toBeGreaterThanOrEqual(99);
        expect(ticks).toBeLessThanOrEqual(100);
      }),
    );
  });

  it('after a long stall, starts again from now instead of a burst', () => {
    const { clock, runUntil } = fakeClock((n) => (n === 3 ? 1000 : 0));
    const at: number[] = [];
    const stop = startTicker(() => at.push(clock.now()), 100, clock);
    runUntil(2000);
    stop();
    expect(at.slice(0, 4)).toEqual([100, 200, 300, 1400]);
    expect(at[4]).toBe(1500);
    for (let i = 1; i < at.length; i++) expect(at[i] - at[i - 1]).toBeGreaterThanOrEqual(100);
  });

  it('never ticks after stop()', () => {
    const { clock, runUntil, pendingTimer } = fakeClock(() => 0);
    let ticks = 0;
    const stop = startTicker(() => ticks++, 100, clock);
    runUntil(250);
    stop();
    expect(pendingTimer()).toBeNull();
    runUntil(1000);
    expect(ticks).toBe(2);
  });
});
