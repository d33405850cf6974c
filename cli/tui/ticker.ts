/*
 * A timer that keeps its rate: the k-th tick is due at start + k x period, not "period after the
 * previous tick ran".
 *
 * The App pulls a snapshot on a timer, and the screen must change at least ten times a second. A
 * plain setInterval is late by up to one run-loop turn each time (the guest holds the thread for
 * ~16 ms between yields), and Node measures the next interval from when the callback ran, so the
 * lateness adds up: 100 ms asked, ~9.5 frames a second drawn. Here each tick aims at its own due
 * time, so being late once makes the next wait shorter and the average period is the one asked
 * for. After a long stall (more than a period behind) the schedule starts again from now, rather
 * than firing a burst of ticks to catch up.
 *
 * Invariants: at most one timer pending; stop() cancels it and no tick runs after stop().
 */
export interface TickerClock {
  readonly now: () => number;
  readonly setTimer: (fn: () => void, ms: number) => unknown;
  readonly clearTimer: (handle: unknown) => void;
}

const realClock: TickerClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Call `tick` every `periodMs` on average; returns stop(). */
export function startTicker(tick: () => void, periodMs: number, clock: TickerClock = realClock): () => void {
  let due = clock.now() + periodMs;
  let stopped = false;
  let handle: unknown = null;
  const arm = () => {
    handle = clock.setTimer(fire, Math.max(0, due - clock.now()));
  };
  const fire = () => {
    if (stopped) return;
    tick();
    const now = clock.now();
    due += periodMs;
    if (due < now - periodMs) due = now + periodMs;
    if (!stopped) arm();
  };
  arm();
  return () => {
    stopped = true;
    clock.clearTimer(handle);
  };
}
