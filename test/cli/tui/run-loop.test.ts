// The run loop takes turns with the UI, pauses before the next slice, and reports a stop once;
// the rate meter measures a counter against the caller's clock.
import { describe, expect, it } from 'vitest';
import { RunLoop } from '../../../cli/tui/run-loop.js';
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
