/*
 * Exact instruction counts from the block counter (block-counter.c): one engine's record, how a
 * budgeted run is made of whole blocks and one partial block, and what a count means after a run
 * that stopped early.
 *
 * A run of budget N is at most two engine runs, neither with Unicorn's count:
 *
 *   whole blocks   the block hook enters each block that fits (done + icount <= N) and stops the
 *                  engine before the first that does not ("refused"), none of it executed
 *   the tail       if that left R = N - done > 0, a code hook over the refused block only counts
 *                  its first R instructions and stops before the next (nothing else is hooked per
 *                  instruction, so no TB flush: only that block is retranslated, before and after)
 *
 * So a run ends on the same instruction as under Unicorn's count, and needs no TB flush.
 *
 * An early stop, in the whole-block phase, leaves `done` counting all of the last block entered, L.
 * The pc after the run, P, says how much of L ran:
 *
 *   P outside L                        L ran to its end: done
 *   P in L, the run ended with an      the instruction at P began and counts (a fault restores
 *   engine error or an exception hook  the pc to the faulting instruction; an exception ends
 *   fired                              its block): done - icount(L) + index(P) + 1
 *   P in L otherwise                   stopped before P (a debugger's trap at P, or a stop asked
 *                                      for before L began): done - icount(L) + index(P)
 *
 * index(P), the instructions of L before P, is (P - start) / 4 on arm64; on x86-64 the engine's
 * block at P ends where L ends, so index(P) = icount(L) - icount(block at P).
 *
 * A stop asked for from inside an instruction (a port access, MMIO) only raises the engine's exit
 * request, which translated code tests at a block's start, after each memory access and after
 * each code hook; a block without code hooks ran on past the port write (memtouch's `out 0xf4;
 * hlt` also ran the hlt), or left at its next memory access with the pc put back to the block's
 * start. So such a stop is not made at once but left pending (deferStop): the next hook to run
 * makes it, with the pc written. On x86-64 that is the code hook over the port instruction's
 * follower (io-followers.ts: the set-up of every code page lists them, watchCode), so a port's stop
 * lands right after the port instruction, as under Unicorn's count: P in L, stopped before P. Else
 * (MMIO, which has no follower) it is the next block's hook: L ran to its end, and `done` counts it.
 * During a run the count is known per block, not per instruction (begunNow).
 *
 * A kick from the fill of a load or store (translations taken away) would stop the run there the
 * same way, so the Machine refuses that fill instead (stop-cause.ts, SliceEnd.kicked, under either
 * counter): the engine stops at the instruction's own pc, which begins again next slice, and the
 * engine error it returns is not a fault (`retried`: the instruction did not begin).
 *
 * The pc after a stop before a block. The engine puts the pc back to a block's start when it
 * leaves at the block's stop check only while no code hook is listed at all, and a deleted hook
 * stays listed until the end of the next run: after every tail, the next slice's stop before a
 * block left the pc at a stale value, and that slice began blocks over again (the x86-64 drift at
 * 997-instruction slices). block-counter.c writes the pc itself there (stop_before), which the
 * engine then keeps whatever hooks are listed (a debugger's breakpoint too).
 *
 * Record words as block-counter.c lays them out; each is read as two 32-bit halves (no BigInt).
 */
import koffi from 'koffi';
import { counterChoice, type OpenOptions, type ShimApi } from './block-shim.js';
import { followerRanges } from './io-followers.js';
import type { UcApi } from './library.js';

const W = {
  done: 0,
  budget: 1,
  lastStart: 2,
  lastIcount: 3,
  refused: 4,
  refusedStart: 5,
  refusedIcount: 6,
  refusedSize: 7,
  tail: 8,
  tailBudget: 9,
  misses: 11,
  lastSize: 12,
  pending: 13,
  stoppedMid: 14,
} as const;
const WORDS = 16;
const TWO_32 = 2 ** 32;

/** How the last run ended, as the caller saw it. */
export interface RunEnd {
  /** The stop was asked for from inside an instruction (port I/O, MMIO, a data fill's kick). */
  readonly inside: boolean;
  /** The engine error came from a refused fill of an instruction that begins again (not begun). */
  readonly retried: boolean;
}

/** The block counter for a new engine, when `opts`, NESTVM_COUNTER and set-up choose it (a failure closes the engine). */
export function blockCountFor(api: UcApi, uc: unknown, arm64: boolean, opts: OpenOptions): BlockCount | null {
  if (opts.jsCounting === true || opts.counter === 'hook') return null;
  const env = opts.counter === 'block' ? { ...process.env, NESTVM_COUNTER: 'block' } : process.env;
  const { shim } = counterChoice(env);
  if (shim === null) return null;
  try {
    return new BlockCount(shim, api, uc, arm64);
  } catch (e) {
    api.uc_close(uc);
    throw e;
  }
}

export class BlockCount {
  private readonly rec: unknown;
  private readonly words: Uint32Array;
  private readonly hooks: number[] = [];
  private readonly arm64: boolean;
  /* The last run: its budget, engine error, whether an exception hook fired, the tail's share. */
  private budget = 0;
  private err = 0;
  /* `done` when an exception hook last fired in this run (-1: none): it ended the block in flight then. */
  private exceptionAt = -1;
  private tailFrom = -1;
  private tailBudget = 0;
  private running = false;
  /* The last run's stop was left pending (deferStop). */
  private deferred = false;
  /* Code pages looked at for port instructions (guest-virtual page -> host-physical), and the followers hooked. */
  private readonly watched = new Map<number, number>();
  private readonly followers = new Set<number>();

  constructor(
    private readonly shim: ShimApi,
    private readonly api: UcApi,
    private readonly uc: unknown,
    arm64: boolean,
  ) {
    this.arm64 = arm64;
    const rec: unknown = shim.create(arm64 ? 1 : 0);
    if (rec === null) throw new Error('block counter: out of memory');
    this.rec = rec;
    this.words = new Uint32Array(koffi.view(rec, WORDS * 8));
    const hh = new BigUint64Array(2);
    const err = shim.attach(uc, rec, hh) as number;
    for (const h of hh) if (h !== 0n) this.hooks.push(Number(h));
    if (err !== 0) throw new Error(`block counter: uc_hook_add failed (${err})`);
  }

  private get(i: number): number {
    return this.words[2 * i] + this.words[2 * i + 1] * TWO_32;
  }

  private set(i: number, v: number): void {
    this.words[2 * i] = v % TWO_32;
    this.words[2 * i + 1] = Math.floor(v / TWO_32);
  }

  /** Engine look-ups of block sizes so far (x86-64; the cache's misses). */
  get misses(): number {
    return this.get(W.misses);
  }

  /** Translated code may have changed: drop every cached block count. */
  forget(): void {
    this.shim.forget(this.rec);
  }

  /** A stop was asked for (from a hook): blocks after it are not counted. */
  noteStop(): void {
    this.set(W.pending, 1);
  }

  /**
   * Stop after the instruction in flight (see the essay); false when no run is going on, and the
   * caller stops the engine itself.
   */
  deferStop(): boolean {
    if (!this.running) return false;
    this.deferred = true;
    this.set(W.pending, 1);
    return true;
  }

  /**
   * An x86-64 code page at guest-virtual `va` (4 KiB aligned) is about to be translated from
   * host-physical `hpa`, whose bytes are `page`: hook its port instructions' followers (once per
   * place; a follower stays hooked for the engine's life).
   */
  watchCode(va: number, hpa: number, page: Uint8Array): void {
    if (this.arm64 || this.watched.get(va) === hpa) return;
    this.watched.set(va, hpa);
    for (const [b, e] of followerRanges(va, page, this.followers)) {
      const out: number[] = [0];
      const err = this.shim.attachIo(this.uc, this.rec, b, e, out) as number;
      if (err !== 0) throw new Error(`block counter: uc_hook_add failed (${err})`);
      this.hooks.push(out[0]);
      for (let a = b; a <= e; a++) this.followers.add(a);
    }
  }

  /** The next run has no budget: every block fits, none is counted for a caller. */
  unlimited(): void {
    for (const i of [W.done, W.refused, W.pending, W.stoppedMid]) this.set(i, 0);
    this.set(W.budget, Number.MAX_SAFE_INTEGER);
  }

  /** An exception hook fired: the instruction at the stop pc began. */
  noteException(): void {
    this.exceptionAt = this.get(W.done);
  }

  /**
   * One budgeted run: whole blocks, then the tail. `start(at)` runs the engine from `at` without a
   * count and returns its error; `pc()` reads the pc; `removeCache` drops a range's translations.
   */
  run(
    begin: number,
    budget: number,
    start: (at: number) => number,
    pc: () => number,
    removeCache: (b: number, e: number) => void,
  ): number {
    this.budget = budget;
    this.exceptionAt = -1;
    this.tailFrom = -1;
    this.deferred = false;
    for (const i of [W.done, W.refused, W.pending, W.tail, W.lastIcount, W.stoppedMid]) this.set(i, 0);
    this.set(W.budget, budget);
    this.err = this.engine(() => start(begin));
    const done = this.get(W.done);
    if (this.err !== 0 || !this.refusedOnly() || done >= budget) return this.err;
    const at = this.get(W.refusedStart);
    const end = at + this.get(W.refusedSize);
    this.tailFrom = done;
    this.tailBudget = budget - done;
    this.set(W.budget, Number.MAX_SAFE_INTEGER);
    this.set(W.tailBudget, this.tailBudget);
    const out: number[] = [0];
    const e = this.shim.attachTail(this.uc, this.rec, at, end - 1, out) as number;
    if (e !== 0) throw new Error(`block counter: uc_hook_add failed (${e})`);
    try {
      removeCache(at, end); // retranslated with the tail's hook
      this.err = this.engine(() => start(pc()));
    } finally {
      this.api.uc_hook_del(this.uc, out[0]);
      removeCache(at, end); // and back without it (measured: faster than leaving it to uc_hook_del)
    }
    return this.err;
  }

  private engine(go: () => number): number {
    this.running = true;
    try {
      return go();
    } finally {
      this.running = false;
    }
  }

  /* The whole-block phase ended only because the next block did not fit. */
  private refusedOnly(): boolean {
    // (an exception hook that stopped nothing, PSCI CPU_ON, does not keep the tail from running)
    return this.get(W.refused) === 1 && this.get(W.pending) === 0;
  }

  /** Instructions begun by the last run (see the essay); `pcAfter` is the pc now. */
  lastRun(end: RunEnd, pc: () => number): number {
    if (this.running) return this.begunNow() - 1;
    if (this.tailFrom >= 0) {
      const again = this.err !== 0 && end.retried ? 1 : 0; // the tail's hook counted it
      return this.tailFrom + Math.min(this.get(W.tail), this.tailBudget) - again;
    }
    const done = this.get(W.done);
    if (this.err === 0) {
      if (this.refusedOnly()) return done;
      // a pending stop made by the next block's hook: the last block entered ran to its end
      if (this.deferred && this.get(W.stoppedMid) === 0) return done;
      if (!this.deferred && end.inside) return done;
    }
    const start = this.get(W.lastStart);
    const icount = this.get(W.lastIcount);
    const pcAfter = pc();
    if (icount === 0 || pcAfter < start || pcAfter >= start + this.get(W.lastSize)) return done;
    const exception = this.exceptionAt === done; // in the last block entered
    const began = (this.err !== 0 && !end.retried) || exception ? 1 : 0;
    return done - icount + this.indexIn(start, icount, pcAfter) + began;
  }

  /* Instructions of the block at `start` (of `icount`) before `at`. */
  private indexIn(start: number, icount: number, at: number): number {
    if (this.arm64 || at === start) return (at - start) / 4;
    const tb = this.shim.tbAt(this.uc, at) as number;
    const size = Math.floor(tb / 65536);
    if (tb < 0 || at + size !== start + this.get(W.lastSize)) {
      throw new Error(`block counter: cannot place pc 0x${at.toString(16)} in its block`);
    }
    return icount - (tb % 65536);
  }

  /** Instructions begun so far by the run in progress, per block: the first of the block in flight. */
  begunNow(): number {
    if (this.tailFrom >= 0) return this.tailFrom + this.get(W.tail);
    return this.get(W.done) - this.get(W.lastIcount) + 1;
  }

  /** True when the last run used up its budget. */
  budgetExhausted(): boolean {
    if (this.tailFrom >= 0) return this.get(W.tail) > this.tailBudget;
    return this.err === 0 && this.refusedOnly() && this.get(W.done) === this.budget;
  }

  /** Free the record: only after uc_close (the hooks may run until then). */
  release(): void {
    this.shim.free(this.rec);
  }
}
