/*
 * Keeping the guest running while the UI stays responsive.
 *
 * JavaScript has one thread, so "the guest runs live and the screen updates ten times a second"
 * means taking turns: the loop runs guest slices back to back for at most `budgetMs`, then yields
 * to the event loop (setImmediate), where the UI's 100 ms snapshot timer and key presses get their
 * turn, then carries on. With a 16 ms budget the yield costs well under 1% of the guest's time and
 * a key press waits at most one budget. A paced guest (the speed keys) runs a few instructions
 * per turn and then waits on a timer, so that a slow run costs no CPU between its turns.
 *
 * The adapter owns one RunLoop and gives it a `runSlice` that runs the Machine for one slice of
 * instructions and says whether the guest stopped. Invariants: at most one turn is scheduled at a
 * time; pause() takes effect before the next slice; a stop ends the loop and is reported once.
 */
/*
 * How many instructions the next slice of a running guest gets. Each slice costs a fixed amount
 * (entering and leaving the emulator, the budget check), so a fast guest in small slices loses
 * speed: at 400 MIPS a 20,000-instruction slice lasts 50 us. The loop therefore grows the slice
 * while a slice takes under SLICE_FAST_MS and shrinks it when one takes over SLICE_SLOW_MS, between
 * the base size (what the slice key runs) and SLICE_GROWTH times that. A slice then lasts a few ms
 * at most, so a key press still waits at most about one budget plus one slice.
 */
export const SLICE_FAST_MS = 1;
export const SLICE_SLOW_MS = 4;
export const SLICE_GROWTH = 64;

export function adaptSlice(size: number, elapsedMs: number, base: number): number {
  if (elapsedMs < SLICE_FAST_MS) return Math.min(size * 2, base * SLICE_GROWTH);
  if (elapsedMs > SLICE_SLOW_MS) return Math.max(Math.floor(size / 2), base);
  return size;
}

export interface SliceResult {
  readonly stopped: boolean;
  /** Why, in plain words ("hlt", "exit status 3", "nested fault: no mapping at 0x..."). */
  readonly reason?: string;
  /** A paced guest (a speed limit) has nothing more to run for this long: end the turn and come
   * back after this many ms (on a timer, so that waiting costs no CPU). */
  readonly waitMs?: number;
}

export interface RunLoopOptions {
  /** Longest stretch of guest slices before yielding to the UI (default 16 ms). */
  readonly budgetMs?: number;
  readonly now?: () => number;
  readonly schedule?: (turn: () => void) => void;
  /** How to take the next turn after a wait (default setTimeout). */
  readonly scheduleLater?: (turn: () => void, ms: number) => void;
  /** Called once when a slice reports that the guest stopped. */
  readonly onStop?: (reason: string | undefined) => void;
}

export class RunLoop {
  private wanted = false;
  private scheduled = false;
  private ended = false;
  private readonly budgetMs: number;
  private readonly now: () => number;
  private readonly schedule: (turn: () => void) => void;
  private readonly scheduleLater: (turn: () => void, ms: number) => void;

  constructor(
    private readonly runSlice: () => SliceResult,
    private readonly opts: RunLoopOptions = {},
  ) {
    this.budgetMs = opts.budgetMs ?? 16;
    this.now = opts.now ?? (() => performance.now());
    this.schedule = opts.schedule ?? ((turn) => void setImmediate(turn));
    this.scheduleLater = opts.scheduleLater ?? ((turn, ms) => void setTimeout(turn, ms));
  }

  /** True while the loop is meant to be running the guest. */
  get running(): boolean {
    return this.wanted && !this.ended;
  }

  /** True once the guest stopped for good. */
  get stopped(): boolean {
    return this.ended;
  }

  resume(): void {
    if (this.ended) return;
    this.wanted = true;
    this.arm();
  }

  pause(): void {
    this.wanted = false;
  }

  /** Run exactly one slice now (stepping while paused); reports a stop like the loop does. */
  runOne(): SliceResult {
    if (this.ended) return { stopped: true };
    return this.check(this.runSlice());
  }

  private arm(waitMs = 0): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (waitMs > 0) this.scheduleLater(() => this.turn(), waitMs);
    else this.schedule(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    const start = this.now();
    let waitMs = 0;
    while (this.running) {
      const r = this.check(this.runSlice());
      if (r.stopped) return;
      if (r.waitMs !== undefined && r.waitMs > 0) {
        waitMs = r.waitMs;
        break;
      }
      if (this.now() - start >= this.budgetMs) break;
    }
    if (this.running) this.arm(waitMs);
  }

  private check(r: SliceResult): SliceResult {
    if (r.stopped && !this.ended) {
      this.ended = true;
      this.wanted = false;
      this.opts.onStop?.(r.reason);
    }
    return r;
  }
}
