/*
 * How many instructions one run of an engine began: the engine's own counter (insn-counter.ts)
 * when its place in the engine is known, else a JS code hook that counts every instruction
 * (exact, slow).
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
 */
import { assert } from '../../mmu/checks.js';
import type { EngineAccess } from './engine-access.js';
import type { HookHandle, HookTable } from './hook-table.js';
import type { InsnCounter } from './insn-counter.js';

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
  ) {}

  /** True when counts come from the engine counter (false: the JS-hook fallback). */
  get fast(): boolean {
    return this.counter !== null;
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
    return this.counter === null ? this.jsCount : this.counter.readLow();
  }

  /** True when the last run used up its budget (the counter went one past it). */
  budgetExhausted(): boolean {
    const raw = this.counter === null ? this.jsCount : this.counter.read();
    return raw === this.lastBudget + 1;
  }
}
