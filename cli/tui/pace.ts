/*
 * Running the guest slowly on purpose, so that a student can watch it work.
 *
 * A sample guest like memtouch runs its few thousand instructions in about a millisecond: at full
 * speed the screen shows the start and then the end. The speed keys choose a rate from a ladder,
 *
 *     full  1,000,000  100,000  10,000  1,000  100  10    instructions a second
 *      ◄── '+' faster                      '-' slower ──►
 *
 * and a Pacer hands out instructions at that rate, as a token bucket: credit grows with the time
 * since the last turn, whole instructions are taken out of it, and the run loop waits on a timer
 * between turns (run-loop.ts SliceResult.waitMs), so a slow guest costs no CPU while it waits. The
 * credit is capped at two turns' worth, so a long stall (the user holding a key, a slow frame) is
 * not paid back with a burst.
 *
 * Invariants: over any stretch of running time the instructions handed out are at most
 * rate x time + the cap; restart() forgets credit (a pause is not saved up); the wait is always at
 * least one turn and at most a second.
 */

/** The ladder, fastest first; null is full speed (no pacing). */
export const SPEEDS: readonly (number | null)[] = [null, 1_000_000, 100_000, 10_000, 1_000, 100, 10];

/** How often a paced guest takes a turn, in ms. */
export const TURN_MS = 20;

export class Pacer {
  private credit = 0;
  private last: number;

  constructor(
    readonly rate: number,
    now: number,
  ) {
    if (!(rate > 0)) throw new RangeError(`pacer: rate must be positive, got ${rate}`);
    this.last = now;
  }

  /** Forget saved-up credit: the time until now does not count (after a pause). */
  restart(now: number): void {
    this.credit = 0;
    this.last = now;
  }

  /** Whole instructions that may run now, and how long to wait before the next turn. */
  take(now: number): { run: number; waitMs: number } {
    const cap = Math.max(1, (2 * this.rate * TURN_MS) / 1000);
    this.credit = Math.min(cap, this.credit + (Math.max(0, now - this.last) * this.rate) / 1000);
    this.last = now;
    // Credit is summed in binary fractions (0.6 + 0.7 + 1.7 is 1.9999999999999998): a hair short
    // of a whole instruction counts as that instruction.
    const run = Math.floor(this.credit + 1e-9);
    this.credit = Math.max(0, this.credit - run);
    const untilNext = Math.ceil(((1 - this.credit) * 1000) / this.rate);
    return { run, waitMs: run > 0 ? TURN_MS : Math.min(1000, Math.max(TURN_MS, untilNext)) };
  }
}

/** "1M", "100k", "10": a ladder rate, short, for the status bar. */
export function speedShort(rate: number): string {
  if (rate >= 1e6 && rate % 1e6 === 0) return `${rate / 1e6}M`;
  if (rate >= 1e3 && rate % 1e3 === 0) return `${rate / 1e3}k`;
  return String(rate);
}

/** "1,000 instructions a second", or "full speed". */
export function speedText(rate: number | null): string {
  return rate === null ? 'full speed' : `${rate.toLocaleString('en-US')} instructions a second`;
}
