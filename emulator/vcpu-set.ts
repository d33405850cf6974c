/*
 * The vCPUs of one Machine (`--cpus N`, 1 to 8) and the round-robin that decides which one runs.
 *
 * Each vCPU is a Core: its own Unicorn engine over the one host RAM (so its own registers and its
 * own software TLB), its own VmClient on the vmspace ("vcpu0", "vcpu1", ...) and its own fill path
 * (a NestedMmu over that client). The vCPUs run one at a time, as the VMs of host-run.ts do, so
 * the host's in-flight set and the Machine's slice record serve whichever runs now.
 *
 *   round:   cpu0 runs `quantum` instructions ─► cpu1 ─► ... ─► cpu(N-1) ─► cpu0 ...
 *            (a vCPU that is off or halted is skipped; quantum = --quantum, DEFAULT_QUANTUM)
 *
 * The quantum is exact and owed: when a slice ends inside a vCPU's quantum (the caller's budget
 * ran out, a kick, a debugger's pause), the same vCPU runs the rest of it next, so where the
 * caller cuts its slices never changes who runs which instruction. Only a vCPU that stops running
 * by itself (hlt, wfi, PSCI CPU_OFF) gives up the rest of its quantum. The schedule is therefore a
 * function of the instruction counts alone: the same guest and options give the same trace.
 *
 * Power states:
 *
 *   off     not started (every vCPU but 0 at power-on), or after PSCI CPU_OFF
 *   on      runnable
 *   halted  it ran hlt or wfi; nestvm delivers no interrupts, so it never runs again
 *
 * With one vCPU the quantum is unbounded: a slice is exactly the caller's budget, as it was
 * before SMP existed (N = 1 runs the same instructions in the same slices, event for event).
 *
 * A debugger may run one vCPU alone (pick, for gdb's per-thread step and scheduler-locked
 * continue, cli/gdb/run-control.ts). When that vCPU is the one whose turn it is and it is still
 * owed part of its quantum, the slice is part of that turn, as if no debugger had asked; any
 * other vCPU runs out of turn, a solo slice: the round-robin does not move (nobody's quantum is
 * used up, no turn is counted) and only the picked vCPU's count grows. Either way the schedule is
 * a function of the instruction counts and the debugger's requests alone.
 *
 * A snapshot (snapshot/guest-state.ts) keeps the schedule's position with the vCPUs: which vCPU
 * had the last turn, what it is still owed of its quantum (unbounded with one vCPU) and the
 * quantum, with each vCPU's power state, instruction count and turns (`position`, `resume`). The
 * cause a halt recorded is not kept: a halt is always the architecture's hlt / wfi, so `resume`
 * takes it from the caller whenever some vCPU is halted.
 *
 * Invariants: `current` names a Core once the set is built (the solo vCPU during a solo slice);
 * `left` is what the scheduled vCPU is still owed and is zero once it is not on; per-vCPU
 * instruction counts add up to the Machine's; a solo slice never changes `cur` or `left`.
 */
import type { VmClient } from '../mmu/vm/vm-client.js';
import type { NestedMmu } from './nested-mmu.js';
import type { StopCause } from './stop-cause.js';
import type { Translator } from './translator.js';
import type { Unicorn } from './unicorn/unicorn.js';

export const MAX_CPUS = 8;
/** Instructions a vCPU runs before the next one's turn, unless --quantum says otherwise. */
export const DEFAULT_QUANTUM = 10_000;

export type PowerState = 'off' | 'on' | 'halted';

export interface Core {
  readonly id: number;
  readonly uc: Unicorn;
  /** The vCPU's client on the vmspace (null without the nested layer). */
  readonly client: VmClient | null;
  readonly translator: Translator;
  readonly mmu: NestedMmu | null;
  power: PowerState;
  /** Instructions this vCPU has begun. */
  insns: number;
  /** Times an administrative change kicked it out of the engine. */
  kicks: number;
  /** Turns it was given (a quantum each, or what was left of one). */
  turns: number;
}

/** One vCPU in `run`'s summary and --json `cpus`. */
export interface VcpuReport {
  id: number;
  state: PowerState;
  insns: number;
  kicks: number;
  turns: number;
  /** The vmspace generation its client last recorded (null without the nested layer). */
  generation: number | null;
  /** Entries on its per-CPU PV free list now. */
  pvFree: number;
}

/** Where the round-robin stands between slices (a snapshot's part; Infinity: unbounded). */
export interface SchedulePosition {
  readonly quantum: number;
  /** The vCPU that had the last turn (the one owed `owed` more, or the one the round goes on after). */
  readonly current: number;
  readonly owed: number;
}

/** One vCPU's scheduling state in a snapshot. */
export interface CoreProgress {
  readonly power: PowerState;
  readonly insns: number;
  readonly turns: number;
}

export class VcpuSet {
  /* The last vCPU given a turn (the round starts after it: at vCPU 0 the first time). */
  private cur: number;
  private left = 0;
  /* The vCPU a debugger runs out of turn during a solo slice (pick), else null. */
  private solo: Core | null = null;
  /* Why the last vCPU that stopped by itself stopped (what ends the run once none is on). */
  private lastEnd: StopCause | null = null;
  readonly quantum: number;
  private readonly list: Core[] = [];

  /** A set of `count` vCPUs, added in order of id by add(); vCPU 0 is on, the others off. */
  constructor(
    readonly count: number,
    quantum: number,
  ) {
    this.quantum = count === 1 ? Infinity : quantum;
    this.cur = count - 1;
  }

  get cores(): readonly Core[] {
    return this.list;
  }

  add(core: Omit<Core, 'power' | 'insns' | 'kicks' | 'turns'>): Core {
    const c: Core = { ...core, power: core.id === 0 ? 'on' : 'off', insns: 0, kicks: 0, turns: 0 };
    this.list.push(c);
    return c;
  }

  /** The vCPU running now (during a slice), or the one whose turn it was last. */
  get current(): Core {
    return this.solo ?? this.cores[this.cur];
  }

  /** The vCPU next() would give a turn to now, or null when none is on (nothing changes). */
  peek(): Core | null {
    const n = this.list.length;
    if (this.left > 0 && this.cores[this.cur].power === 'on') return this.cores[this.cur];
    for (let k = 1; k <= n; k++) {
      const c = this.cores[(this.cur + k) % n];
      if (c.power === 'on') return c;
    }
    return null;
  }

  /**
   * vCPU `id` alone (see the essay): the rest of its turn when it is owed one, else a solo slice
   * of any length; null when it is not on (it cannot run). endTurn() closes a solo slice.
   */
  pick(id: number): { core: Core; owed: number } | null {
    const core = this.list[id];
    if (core === undefined || core.power !== 'on') return null;
    if (id === this.cur && this.left > 0) return { core, owed: this.left };
    this.solo = core;
    return { core, owed: Infinity };
  }

  /** The slice is over: a solo vCPU gives the CPU back to the round-robin. */
  endTurn(): void {
    this.solo = null;
  }

  /** The vCPU to run next and the most it may run now, or null when none is on. */
  next(): { core: Core; owed: number } | null {
    const core = this.peek();
    if (core === null) return null;
    if (core.id === this.cur && this.left > 0) return { core, owed: this.left };
    this.cur = core.id;
    this.left = this.quantum;
    core.turns++;
    return { core, owed: this.left };
  }

  /** Record a slice of `ran` instructions on the current vCPU. */
  ran(ran: number): void {
    const core = this.current;
    core.insns += ran;
    if (this.solo === null) this.left = core.power === 'on' ? this.left - ran : 0;
    else if (core === this.cores[this.cur] && core.power !== 'on') this.left = 0;
  }

  /** The current vCPU stopped by itself (hlt, wfi): halted for good; the cause ends the run once none is on. */
  halt(cause: StopCause): void {
    this.current.power = 'halted';
    if (this.current === this.cores[this.cur]) this.left = 0;
    this.lastEnd = cause;
  }

  /** Whether the next slice begins a new turn (the current vCPU owes nothing, or is not on). */
  atTurnBoundary(): boolean {
    return this.left <= 0 || this.current.power !== 'on';
  }

  /** The round-robin's position now. */
  position(): SchedulePosition {
    return { quantum: this.quantum, current: this.cur, owed: this.left };
  }

  /**
   * Take over a position and each vCPU's progress (as position() and the cores gave them, checked
   * by the caller: same count and quantum); `halted` is the cause a halt records.
   */
  resume(at: SchedulePosition, cores: readonly CoreProgress[], halted: StopCause): void {
    this.cur = at.current;
    this.left = at.owed;
    cores.forEach((p, i) => Object.assign(this.list[i], { power: p.power, insns: p.insns, turns: p.turns }));
    this.lastEnd = this.list.some((c) => c.power === 'halted') ? halted : null;
  }

  /** The vCPU an event names, only on a machine of several (one vCPU's events are as before). */
  tag(core: Core): { cpu?: number } {
    return this.count > 1 ? { cpu: core.id } : {};
  }

  /** Whether some vCPU can still run. */
  anyOn(): boolean {
    return this.cores.some((c) => c.power === 'on');
  }

  /** What ends the run when no vCPU is on: the last halt, or every vCPU powered off. */
  endCause(): StopCause {
    return this.lastEnd ?? { reason: 'halt', code: 0, message: 'every vCPU is powered off (PSCI CPU_OFF)' };
  }

  /** Flush every vCPU's TLB (an evicted frame is about to hold another page); vCPU 0's through `first`. */
  flushAll(first: () => void): void {
    first();
    for (let i = 1; i < this.cores.length; i++) this.cores[i].uc.flushTlb();
  }

  report(pvFree: readonly number[]): VcpuReport[] {
    return this.cores.map((c) => ({
      id: c.id,
      state: c.power,
      insns: c.insns,
      kicks: c.kicks,
      turns: c.turns,
      generation: c.client?.generation ?? null,
      pvFree: pvFree[c.id] ?? 0,
    }));
  }
}
