// The pacer against a simple model of a speed limit: random turns at random times hand out no more
// than rate x time plus the cap, fall short of it by at most the cap and one instruction, never
// ask to wait less than a turn or more than a second, and save nothing up across a restart.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Pacer, SPEEDS, TURN_MS, speedShort, speedText } from '../../../cli/tui/pace.js';

const rates = SPEEDS.filter((r): r is number => r !== null);

describe('Pacer', () => {
  it('hands out instructions at its rate, within one bucket, whatever the turn times', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...rates),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 200 }),
        (rate, gaps) => {
          const pacer = new Pacer(rate, 0);
          const cap = Math.max(1, (2 * rate * TURN_MS) / 1000);
          let now = 0;
          let given = 0;
          let lost = 0; // credit thrown away by the cap (time the bucket was full)
          let model = 0; // credit the model holds
          for (const gap of gaps) {
            now += gap;
            const grown = model + (gap * rate) / 1000;
            lost += Math.max(0, grown - cap);
            model = Math.min(cap, grown);
            const { run, waitMs } = pacer.take(now);
            expect(Number.isInteger(run) && run >= 0).toBe(true);
            expect(run).toBe(Math.floor(model + 1e-9));
            model -= run;
            given += run;
            expect(waitMs).toBeGreaterThanOrEqual(TURN_MS);
            expect(waitMs).toBeLessThanOrEqual(1000);
            // never more than the time allows, never less than it allows minus what the cap dropped
            expect(given).toBeLessThanOrEqual((now * rate) / 1000 + 1e-6);
            expect(given).toBeGreaterThanOrEqual((now * rate) / 1000 - lost - cap - 1);
          }
        },
      ),
    );
  });

  it('counts credit a rounding error short of a whole instruction as that instruction', () => {
    const pacer = new Pacer(100, 0); // 6, 7 and 17 ms at 100/s: 0.6 + 0.7, then 0.3 + 1.7 in binary fractions
    expect([6, 13, 30].map((t) => pacer.take(t).run)).toEqual([0, 1, 2]);
  });

  it('saves nothing up across a restart, and a long stall is not paid back in one burst', () => {
    const pacer = new Pacer(1000, 0);
    pacer.restart(60_000); // a minute paused
    expect(pacer.take(60_000).run).toBe(0);
    expect(pacer.take(60_010).run).toBe(10);
    expect(pacer.take(70_010).run).toBe(40); // ten seconds late: two turns' worth at most
  });

  it('waits until the next instruction is due at slow rates', () => {
    const pacer = new Pacer(10, 0);
    expect(pacer.take(20)).toEqual({ run: 0, waitMs: 80 });
    expect(pacer.take(100)).toEqual({ run: 1, waitMs: TURN_MS });
    expect(() => new Pacer(0, 0)).toThrow(RangeError);
  });

  it('names the speeds', () => {
    expect(speedText(null)).toBe('full speed');
    expect(speedText(1000)).toBe('1,000 instructions a second');
    expect(SPEEDS.map((r) => (r === null ? 'full' : speedShort(r)))).toEqual([
      'full',
      '1M',
      '100k',
      '10k',
      '1k',
      '100',
      '10',
    ]);
  });
});
