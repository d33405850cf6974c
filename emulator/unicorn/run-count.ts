/*
 * How many instructions one run of an engine began: the block counter (block-count.ts) when the
 * engine counts with it; else Unicorn's count hook, read from the engine's own counter
 * (insn-counter.ts) when its place in the engine is known, else a JS code hook that counts every
 * instruction (exact, slow).
 *
 * Invariants:
 *
 *  - begin(count) comes before every run and fixes that run's budget; with a budget of N the run
 *    begins at most N instructions, and the counter then reads N + 1 exactly when the run used its
 *    whole budget (both counters stop the engine one past it).
 *
 *  - A count is only given for a run that had a budget; the engine counter is trusted only while
 *    the engine's copy of the budget, in the slot after it, matches this run's (else the
 *    calibrated layout is wrong and InvariantError is thrown).
 *
 *  - The JS counting hook is added once, at the first budgeted run that needs it, and stays.
 *
 *  - A Machine slice's count (sliceCount) corrects the count hook's two measured quirks: a stop
 *    (a kick) from inside an instruction counts one too many, unless the instruction then faulted
 *    (from a device it called: the next instruction; from its data fill, which is refused: the
 *    instruction itself, which begins again); a debugger's trapped instruction did not run but
 *    was counted (breakpoints.ts). The block counter has neither.
 */
import { assert } from '../../mmu/checks.js';
import type { BlockCount } from './block-count.js';
import type { CounterKind } from './block-shim.js';
import type { EngineAccess } from './engine-access.js';
import type { HookHandle, HookTable } from './hook-table.js';
import type { InsnCounter } from './insn-counter.js';

/** How a Machine slice ended, as its hooks saw it (emulator/stop-cause.ts's SliceEnd). */
export interface SliceEnd {
  /** A stop was asked for from inside an instruction (port I/O, MMIO). */
  readonly stoppedInside: boolean;
  /** A kick came from inside an instruction. */
  readonly cutShort: boolean;
  /** The fill of a kicked load or store was refused: that instruction begins again. */
  readonly retried: boolean;
}

/** How one engine run is started: from `at`, with Unicorn's count `n` (0: none). */
export type StartRun = (at: number, n: number) => number;

/** What the block counter's tail needs of the engine: the pc, and dropping a range's translations. */
export interface EngineControl {
  readonly pc: () => number;
  readonly drop: (begin: number, end: number) => void;
}

function interpret(raw: number, budget: number, inside: boolean): number {
  if (raw > budget) return budget;
  return inside ? raw - 1 : raw;
}

export class RunCount {
  private jsCount = 0;
  private jsBudget = 0;
  private jsCounterHook: HookHandle | null = null;
  private lastBudget = 0;

  constructor(
    private readonly counter: InsnCounter | null,
    private readonly engine: EngineAccess,
    private readonly hooks: HookTable,
    /** The block counter, when the engine counts with it. */
    readonly blocks: BlockCount | null,
    private readonly control: EngineControl,
  ) {}

  /** True when counts come from the block or the engine counter (false: the JS-hook fallback). */
  get fast(): boolean {
    return this.blocks !== null || this.counter !== null;
  }

  get kind(): CounterKind {
    return this.blocks === null ? 'hook' : 'block';
  }

  /** One budgeted run (count 0: none): through the block counter, or with Unicorn's count. */
  start(begin: number, count: number, once: StartRun): number {
    const { pc, drop } = this.control;
    if (this.blocks !== null && count > 0)
      return this.blocks.run(begin, count, (at) => once(at, 0), pc, drop);
    this.blocks?.unlimited();
    return once(begin, this.begin(count));
  }

  /** An exception hook that also tells the block counter the instruction at the stop pc began. */
  watchingExceptions(fn: (intno: number) => void): (intno: number) => void {
    const blocks = this.blocks;
    if (blocks === null) return fn;
    return (n) => {
      blocks.noteException();
      fn(n);
    };
  }

  /** A Machine slice's count, corrected as the essay says. */
  sliceCount(end: SliceEnd, faulted: boolean, paused: boolean): number {
    if (this.blocks !== null)
      return this.blocks.lastRun(
        { inside: end.stoppedInside || end.cutShort, retried: end.retried || (paused && faulted) },
        this.control.pc,
      );
    let ran = this.lastRun(end.stoppedInside);
    if (end.cutShort && !faulted && ran > 0) ran--;
    if (paused) ran--;
    return ran;
  }

  /** Arm for a run of at most `count` instructions (0: no limit); returns the count for uc_emu_start. */
  begin(count: number): number {
    this.lastBudget = count;
    if (count <= 0 || this.counter !== null) return count;
    this.jsBudget = count;
    this.jsCount = 0;
    this.jsCounterHook ??= this.hooks.code(() => this.countOne(), 1, 0, false);
    return 0;
  }

  /* The slow, exact fallback counter (only when calibration failed). */
  private countOne(): void {
    if (this.jsCount >= this.jsBudget) {
      this.jsCount = this.jsBudget + 1;
      this.engine.stopIfOpen();
      return;
    }
    this.jsCount++;
  }

  /** Instructions begun by the last run (see Unicorn.instructionsLastRun). */
  lastRun(stoppedInsideInstruction: boolean): number {
    if (this.blocks !== null)
      return this.blocks.lastRun({ inside: stoppedInsideInstruction, retried: false }, this.control.pc);
    if (this.lastBudget <= 0)
      throw new RangeError('instructionsLastRun: the last run had no instruction budget');
    if (this.counter === null) return interpret(this.jsCount, this.lastBudget, stoppedInsideInstruction);
    // The slot after the counter holds the engine's copy of the budget: if it disagrees, the
    // calibrated layout is wrong and no count can be trusted.
    assert(this.counter.budget() === this.lastBudget, 'engine instruction counter layout changed');
    const raw = this.counter.read();
    assert(raw <= this.lastBudget + 1, 'engine instruction counter out of range');
    return interpret(raw, this.lastBudget, stoppedInsideInstruction);
  }

  /** Instructions begun so far by the run in progress (low 32 bits; no BigInt). */
  begunNow(): number {
    if (this.blocks !== null) return this.blocks.begunNow();
    return this.counter === null ? this.jsCount : this.counter.readLow();
  }

  /** True when the last run used up its budget (the counter went one past it). */
  budgetExhausted(): boolean {
    if (this.blocks !== null) return this.blocks.budgetExhausted();
    const raw = this.counter === null ? this.jsCount : this.counter.read();
    return raw === this.lastBudget + 1;
  }
}
