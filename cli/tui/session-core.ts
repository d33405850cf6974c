/*
 * A ready-made TuiSession around a small MachinePort, so that the adapter only has to say how to
 * reach the machine, and none of the bookkeeping the UI needs:
 *
 *   - running: a RunLoop runs slices between UI frames (`sliceSize` instructions at first, more
 *     while slices are quick: run-loop.ts adaptSlice), or, under a speed limit (the - and + keys),
 *     as many instructions as the pacer allows per turn, with timer waits between (pace.ts);
 *     pause, resume, step (one instruction) and stepSlice follow the usual debugger rules
 *     (stepping pauses first; nothing runs after the guest stopped, and the stop reason stays);
 *   - every verb's outcome is logged as an 'action' in the fault log (through the TuiCollector that
 *     also consumes the MMU event stream) and handed to `trace` for --trace;
 *   - the stamp: a counter that moves when the collector's stamp, the instruction count, the run
 *     state or a local version (actions, selection) moved. snapshot() rebuilds only then, and
 *     returns the previous object otherwise, so polling at 10 Hz costs nothing while paused; a
 *     rebuilt snapshot keeps the previous one's objects for the parts that did not change
 *     (snapshot-share.ts), so the views of those parts are not rendered again;
 *   - rates (instructions/s, dirty pages/s) from the caller's clock (`now`), outside the data path.
 *
 *   - a debugger (`tui --gdb`): when the port says gdb holds the guest (debugger()), the running
 *     loop pauses, and run, step and slice are refused with a note saying so; the status line
 *     carries gdb's note (what it last did); a guest that ended under gdb is stopped here too.
 *
 * Invariants: snapshot() never changes machine state (the port's readers must not either); after
 * the port reported a stop, run()/step are refused with ok=false; close() closes the port once.
 */
import type { Arch } from '../../emulator/arch.js';
import type { Gpa, Gva } from '../../mmu/addr.js';
import { gpa as toGpa, pageAlignDown } from '../../mmu/addr.js';
import type { TuiCollector } from './collector.js';
import type {
  ActionOutcome,
  ClientInfo,
  DisasmLine,
  FrameInfo,
  GptFormatName,
  GptInfo,
  MigrationInfo,
  PoolInfo,
  ReclaimInfo,
  RegionInfo,
  RunInfo,
  RunState,
  ShownInfo,
  TuiSession,
  TuiSnapshot,
  Walk2dRef,
  WalkStep,
} from './model.js';
import { REGISTER_NAMES } from './model.js';
import { RateMeter } from './rate-meter.js';
import { shareSnapshot } from './snapshot-share.js';
import { adaptSlice, RunLoop, type SliceResult } from './run-loop.js';
import { Pacer, SPEEDS, speedText } from './pace.js';

/** What the core needs from the machine. Readers must be side-effect free. */
export interface MachinePort {
  readonly guest: string;
  readonly arch: Arch;
  readonly format: GptFormatName;
  /** Guest RAM shown in the page grid. */
  readonly memory: { readonly base: Gpa; readonly pages: number };
  /** Run at most `max` instructions; the stop reason in plain words once the guest stopped (and ever after), else null. */
  run(max: number): string | null;
  instructions(): number;
  regs(): Record<string, bigint>;
  /** Instructions around the PC (disasm-window.ts disasmWindow). */
  disasm(): DisasmLine[];
  guestPaging(): boolean;
  mode?(): string;
  console?(): string;
  gpt(): GptInfo;
  pageStates(out: Uint8Array): void;
  walk(page: Gpa): WalkStep[];
  /** The two-dimensional walk of a GVA (walk2d.ts walk2dRefs), when the guest pages. */
  walk2d?(gva: Gva): Walk2dRef[] | undefined;
  frameOf(page: Gpa): FrameInfo | null;
  clients(): ClientInfo[];
  pools(): PoolInfo;
  /** Reclaim's policy, hand, recent victims and counts (absent: no reclaim to show). */
  reclaim?(): ReclaimInfo;
  regions(): RegionInfo[];
  dirtyTracking(): boolean;
  /* Verbs on the MMU: each does its change (through the vmspace, so events flow) and says what happened. */
  harvest(): ActionOutcome;
  setDirtyTracking(on: boolean): ActionOutcome;
  resetAccessed(): ActionOutcome;
  evict(page: Gpa): ActionOutcome;
  toggleRegion(page: Gpa): ActionOutcome;
  /** A debugger attached to the guest (`tui --gdb`), or absent/null without one. */
  debugger?(): DebuggerHold | null;
  /** A live migration (`tui --migrate`, migration-port.ts), or absent without one. */
  migration?(): MigrationInfo;
  /** With several vCPUs or guests: which one the readers describe (absent, or undefined: one of each). */
  shown?(): ShownInfo | undefined;
  /** Make the readers describe another vCPU or guest (no machine effect); refused when there is none. */
  show?(which: 'cpu' | 'vm', index: number): ActionOutcome;
  close(): void;
}

/** What the core reads of the event stream: a TuiCollector, or with several guests the shown one's. */
export type EventLog = Pick<
  TuiCollector,
  'stamp' | 'harvests' | 'dirtySinceHarvest' | 'logAction' | 'faults' | 'holdEntries' | 'dirtyRate'
>;

/** What a debugger (the gdb stub) says about the guest, for the core and the status line. */
export interface DebuggerHold {
  /** The debugger holds the guest: the view must not run it. */
  readonly held: boolean;
  /** The debugger runs it now. */
  readonly running: boolean;
  readonly note: string;
  /** The guest's end in plain words, once it ended under the debugger. */
  readonly ended: string | null;
}

export interface SessionCoreOptions {
  /** Instructions the slice key runs, and the first running slice (default 20000; running slices adapt). */
  readonly sliceSize?: number;
  readonly now?: () => number;
  readonly schedule?: (turn: () => void) => void;
  /** How a paced run's next turn is taken after its wait (default setTimeout). */
  readonly scheduleLater?: (turn: () => void, ms: number) => void;
  /** Hears every action note (the adapter writes them to --trace). */
  readonly trace?: (note: string) => void;
}

export class SessionCore implements TuiSession {
  readonly sliceSize: number;
  private readonly loop: RunLoop;
  /** Instructions per slice while running; sliceSize is what the slice key runs. */
  private runSize: number;
  private readonly now: () => number;
  private readonly ips = new RateMeter();
  private stopReason: string | null = null;
  private pauseReason = 'paused at start';
  private selected: Gpa;
  private selectedGva: Gva | null = null;
  private version = 0;
  private stampValue = 0;
  private lastKey = '';
  private last: TuiSnapshot | null = null;
  private closed = false;
  /** Where on the speed ladder (pace.ts SPEEDS) the running guest is; 0 is full speed. */
  private speedAt = 0;
  private pacer: Pacer | null = null;

  constructor(
    private readonly port: MachinePort,
    private readonly collector: EventLog,
    private readonly opts: SessionCoreOptions = {},
  ) {
    this.sliceSize = opts.sliceSize ?? 20_000;
    this.now = opts.now ?? (() => performance.now());
    this.selected = port.memory.base;
    this.runSize = this.sliceSize;
    this.loop = new RunLoop(() => this.runningSlice(), {
      now: this.now,
      schedule: opts.schedule,
      scheduleLater: opts.scheduleLater,
      onStop: () => this.version++,
    });
  }

  /* ---- running ---- */

  /**
   * A slice of the running loop: at full speed its size follows how long the last one took
   * (run-loop.ts adaptSlice); under a speed limit it is what the pacer allows, then a wait.
   */
  private runningSlice(): SliceResult {
    const held = this.heldByDebugger();
    if (held !== null) {
      this.loop.pause();
      this.pauseReason = held.note;
      this.version++;
      return { stopped: false };
    }
    if (this.pacer !== null) {
      const { run, waitMs } = this.pacer.take(this.now());
      if (run === 0) return { stopped: false, waitMs };
      const r = this.slice(run);
      return r.stopped ? r : { stopped: false, waitMs };
    }
    const start = this.now();
    const r = this.slice(this.runSize);
    this.runSize = adaptSlice(this.runSize, this.now() - start, this.sliceSize);
    return r;
  }

  private slice(max: number): { stopped: boolean; reason?: string } {
    const reason = this.port.run(max);
    if (reason !== null) this.stopReason = reason;
    return { stopped: reason !== null, reason: reason ?? undefined };
  }

  /* The debugger's hold on the guest, when it has one (and its end, made this session's stop). */
  private heldByDebugger(): DebuggerHold | null {
    const d = this.port.debugger?.() ?? null;
    if (d?.ended != null && this.stopReason === null) {
      this.stopReason = d.ended;
      this.version++;
    }
    return d !== null && (d.held || d.running) ? d : null;
  }

  private get state(): RunState {
    if (this.stopReason !== null) return 'stopped';
    if (this.port.debugger?.()?.running === true) return 'running';
    return this.loop.running ? 'running' : 'paused';
  }

  /** Log an action's outcome where every consumer sees it, and return it. */
  private act(o: ActionOutcome): ActionOutcome {
    this.collector.logAction(o.note);
    this.opts.trace?.(o.note);
    this.version++;
    return o;
  }

  private refuseIfStopped(what: string): ActionOutcome | null {
    const held = this.heldByDebugger();
    if (this.stopReason !== null)
      return this.act({ ok: false, note: `${what}: the guest has stopped (${this.stopReason})` });
    if (held !== null)
      return this.act({ ok: false, note: `${what}: refused, ${held.note} (continue or detach in gdb)` });
    return null;
  }

  pause(): ActionOutcome {
    if (!this.loop.running) return this.act({ ok: false, note: 'pause: not running' });
    this.loop.pause();
    this.pauseReason = 'paused by user';
    return this.act({ ok: true, note: `pause at ${this.port.instructions()} instructions` });
  }

  resume(): ActionOutcome {
    const refused = this.refuseIfStopped('run');
    if (refused) return refused;
    this.pacer?.restart(this.now());
    this.loop.resume();
    const rate = SPEEDS[this.speedAt];
    return this.act({ ok: true, note: rate === null ? 'run' : `run at ${speedText(rate)}` });
  }

  changeSpeed(step: 1 | -1): ActionOutcome {
    const at = this.speedAt - step;
    if (at < 0 || at >= SPEEDS.length)
      return this.act({ ok: false, note: `speed: already ${speedText(SPEEDS[this.speedAt])}` });
    this.speedAt = at;
    const rate = SPEEDS[at];
    this.pacer = rate === null ? null : new Pacer(rate, this.now());
    return this.act({ ok: true, note: `speed: ${speedText(rate)}` });
  }

  private stepBy(n: number, what: string): ActionOutcome {
    const refused = this.refuseIfStopped(what);
    if (refused) return refused;
    this.loop.pause();
    this.pauseReason = `after ${what}`;
    const before = this.port.instructions();
    const r = this.slice(n);
    const ran = this.port.instructions() - before;
    const note = `${what}: ${ran} instruction${ran === 1 ? '' : 's'}${r.stopped ? `, guest stopped (${r.reason})` : ''}`;
    return this.act({ ok: true, note });
  }

  step(): ActionOutcome {
    return this.stepBy(1, 'step');
  }

  stepSlice(): ActionOutcome {
    return this.stepBy(this.sliceSize, 'slice');
  }

  /* ---- MMU verbs ---- */

  harvest(): ActionOutcome {
    return this.act(this.port.harvest());
  }

  toggleDirtyTracking(): ActionOutcome {
    return this.act(this.port.setDirtyTracking(!this.port.dirtyTracking()));
  }

  resetAccessed(): ActionOutcome {
    return this.act(this.port.resetAccessed());
  }

  evict(page: Gpa): ActionOutcome {
    return this.act(this.port.evict(page));
  }

  toggleRegion(page: Gpa): ActionOutcome {
    return this.act(this.port.toggleRegion(page));
  }

  /* What the panes show is a view, not a machine change: no fault-log entry, no trace event. */
  show(which: 'cpu' | 'vm', index: number): ActionOutcome {
    const o = this.port.show?.(which, index) ?? { ok: false, note: `${which}: there is only one here` };
    this.version++;
    return o;
  }

  select(page: Gpa, gvaOfInterest?: Gva | null): void {
    this.selected = toGpa(pageAlignDown(page));
    if (gvaOfInterest !== undefined) this.selectedGva = gvaOfInterest;
    this.version++;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.loop.pause();
    this.port.close();
  }

  /* ---- the snapshot ---- */

  snapshot(): TuiSnapshot {
    const instructions = this.port.instructions();
    this.heldByDebugger(); // a guest that ended under gdb is stopped here too
    const gdb = this.port.debugger?.()?.note ?? '';
    const phase = this.port.migration?.().phase ?? ''; // a hand-over may run no instruction
    const key = `${this.collector.stamp}:${instructions}:${this.version}:${this.state}:${gdb}:${phase}`;
    if (this.last && key === this.lastKey) return this.last;
    this.lastKey = key;
    this.stampValue++;
    this.last = shareSnapshot(this.last, this.build(instructions));
    return this.last;
  }

  /* The run line: state, speed limit, gdb's note, and why it stopped or paused. */
  private runInfo(state: RunState): RunInfo {
    const d = this.port.debugger?.();
    return {
      state,
      speed: SPEEDS[this.speedAt] ?? undefined,
      debugger: d?.note,
      reason:
        state === 'stopped'
          ? (this.stopReason ?? undefined)
          : state === 'paused'
            ? d?.held === true
              ? 'held by gdb'
              : this.pauseReason
            : undefined,
    };
  }

  private build(instructions: number): TuiSnapshot {
    const p = this.port;
    const now = this.now();
    const regs = p.regs();
    const states = new Uint8Array(p.memory.pages);
    p.pageStates(states);
    const guestPaging = p.guestPaging();
    const state = this.state;
    return {
      stamp: this.stampValue,
      guest: p.guest,
      arch: p.arch,
      format: p.format,
      run: this.runInfo(state),
      guestPaging,
      cpu: {
        regs: REGISTER_NAMES[p.arch].filter((n) => n in regs).map((name) => ({ name, value: regs[name] })),
        disasm: p.disasm(),
        instructions,
        ips: state === 'running' ? this.ips.sample(instructions, now) : 0,
        mode: p.mode?.(),
      },
      faults: this.collector.faults(),
      clients: p.clients(),
      holdLog: this.collector.holdEntries(),
      memory: {
        base: p.memory.base,
        pages: p.memory.pages,
        states,
        dirtyTracking: p.dirtyTracking(),
        dirtySinceHarvest: this.collector.dirtySinceHarvest,
        dirtyRate: this.collector.dirtyRate(now),
        harvests: this.collector.harvests,
        regions: p.regions(),
      },
      gpt: p.gpt(),
      selection: {
        gpa: this.selected,
        gva: this.selectedGva,
        walk: p.walk(this.selected),
        walk2d: guestPaging && this.selectedGva !== null ? p.walk2d?.(this.selectedGva) : undefined,
        frame: p.frameOf(this.selected),
      },
      pools: p.pools(),
      reclaim: p.reclaim?.(),
      console: p.console?.(),
      migration: p.migration?.(),
      shown: p.shown?.(),
    };
  }
}
