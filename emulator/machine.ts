/*
 * The Machine: one guest image, its vCPUs (one by default; `cpus` up to 8, each its own engine,
 * client and TLB, run round-robin by vcpu-set.ts), its devices, and a run loop that runs in
 * slices, so that its users can act between slices: the TUI redraws and carries out the user's
 * keys, a lab script harvests the dirty log or evicts a frame, and each vCPU flushes its own TLB
 * when the vmspace generation moved since it last ran (tableEnter). Between slices the Machine's
 * engine is vCPU 0's (registers, debugger, snapshots); during a turn it is the running vCPU's.
 *
 * Building one (ARCHITECTURE.md §1 follows one access end to end): host RAM and the memory path
 * come from machine-memory.ts (the NestedVm's host memory and the NestedMmu by default; a caller's
 * translator or host memory gives a Machine without the nested layer, which tests use to check the
 * Machine on its own), the devices from the DeviceBus, and the engine from machine-engine.ts:
 * Unicorn in virtual-TLB mode over host RAM, so every miss in its software TLB calls fill() here,
 * which asks the Translator and fills what it answers.
 *
 * Exact instruction counts, no JS per instruction. Each slice is one budgeted engine run, and the
 * engine's counter (emulator/unicorn/run-count.ts: the block counter where set-up built it, else
 * Unicorn's count hook) says how many instructions it began: the whole budget, or fewer when
 * something ended it early (a device stop, hlt, a fault; an instruction that faults or traps has
 * begun, so it counts; a stop asked for from the middle of an instruction lands right after it).
 * The slice size therefore never changes the count (tested); what counting costs against free
 * running is in bench/README.md.
 *
 * Stops. Devices and exception hooks call stop(), which records the reason and asks the engine to
 * stop at the next instruction boundary; the fill hook records a translation fault and returns
 * "no translation", which makes the engine end the run with an error. After each slice the
 * Machine turns, in this order, a recorded stop, an engine error (explained by the recorded fault
 * when there is one), an early end (x86 hlt, arm64 wfi), the instruction limit, or the
 * timeout into a StopReason (stop-cause.ts). The timeout counts wall-clock time spent running
 * slices, so time between slices (a paused live view) does not use it up; it is checked between
 * slices only (the count stays exact; only where the timeout lands varies).
 *
 * Invariants: the host RAM buffer outlives the engine (the binding pins it); after a StopReason
 * is returned every later runSlice()/run() returns the same one; `instructions` never counts an
 * instruction twice and never misses one.
 */
import { PAGE_SIZE, gva } from '../mmu/addr.js';
import { nullSink, type AccessSite, type EventSink } from '../mmu/events.js';
import type { GuestPaging } from '../mmu/guest-walk/guest-paging.js';
import { InvariantError } from '../mmu/checks.js';
import type { PinnedSinceRetire } from '../mmu/host/pinned-since-retire.js';
import { LAYOUT, type Arch } from './arch.js';
import { MachineDebug, type DataAccess, type TrialStep } from './debug/machine-debug.js';
import { isPause, watchPause, type DebugPause } from './debug/debug-pause.js';
import { DeviceBus } from './device-bus.js';
import type { DeviceHost } from './devices/device.js';
import type { MachineEvent } from './events.js';
import type { GuestMemoryAccess } from './guest-memory.js';
import type { GuestImage } from './image.js';
import type { EngineWiring } from './machine-engine.js';
import { accessOf, enterTables, leaveTables, openEngine, watchFetch } from './machine-engine.js';
import { hostRam, loadImage, memoryPath, type HostRam, type MemoryPathContext } from './machine-memory.js';
import { checkCpus, checkSizes, DEFAULT_SLICE_INSNS, type MachineOptions } from './machine-options.js';
import type { MpWakeup } from './smp/mp-wakeup.js';
import { buildVcpus } from './smp/vcpu-build.js';
import { DEFAULT_QUANTUM, type VcpuSet, type Core } from './vcpu-set.js';
import type { NestedMmu } from './nested-mmu.js';
import type { NestedVm } from './nested-vm.js';
import { applyGuestState, captureGuestState, type GuestState } from './snapshot/guest-state.js';
import { restoreSnapshot, takeSnapshot, type Snapshot } from './snapshot/snapshot.js';
import { MachineNested } from './machine-nested.js';
import {
  engineCause,
  faultCause,
  limitCause,
  SliceEnd,
  stopAt,
  type RunLimits,
  type StopCause,
} from './stop-cause.js';
import type { StopReason } from './stop-reason.js';
import { isFault, type DeviceWindow, type Translator } from './translator.js';
import { UC_MEM_FETCH } from './unicorn/constants.js';
import { PC_REG, SNAPSHOT_REGS } from './unicorn/registers.js';
import { exactU64, type TlbEntryOut, type Unicorn } from './unicorn/unicorn.js';
import { arm64Vcpu } from './vcpu-arm64.js';
import type { VcpuArch } from './vcpu.js';
import { x86Vcpu } from './vcpu-x86.js';

export type { StopReason } from './stop-reason.js';
export { describeFault } from './stop-cause.js';
export * from './machine-options.js';

const VCPUS: Record<Arch, VcpuArch> = { x86_64: x86Vcpu, arm64: arm64Vcpu };

export class Machine extends MachineNested {
  readonly arch: Arch;
  readonly memBytes: number;
  /* The running vCPU's engine and fill path during a turn; vCPU 0's between slices. */
  private uc!: Unicorn;
  private readonly ram: HostRam;
  protected readonly ramBase: number;
  private translator: Translator;
  /** The vCPUs and their round-robin (emulator/vcpu-set.ts). */
  readonly cpus: VcpuSet;
  private readonly wakeup: MpWakeup | null;
  /* vCPU 0 runs now, or none does (the debugger's TLB record is vCPU 0's). */
  private primary = true;
  /** Host-side guest memory access of devices (page holds when nested). */
  private readonly memory: GuestMemoryAccess;
  /** The nested paging layer (null when a translator was injected). */
  readonly vm: NestedVm | null;
  readonly mmu: NestedMmu | null;
  protected readonly sink: EventSink<MachineEvent>;
  private kicked = false;
  /* True while fill() translates a load or store (not a fetch): see the kick in engine(). */
  private dataFill = false;
  /* The fill in progress is refused once it is translated (kickTo: it kicked its own vCPU). */
  private refuseFill = false;
  /* What the vCPU's instruction in flight has filled (null without the nested layer). */
  private readonly inFlight: PinnedSinceRetire | null;
  private ucOpen = false;
  /** Device pages and the host-physical apertures they are routed to. */
  readonly windows: readonly DeviceWindow[];
  private fillCount = 0;
  private readonly vcpu: VcpuArch;
  private readonly bus: DeviceBus;
  readonly sliceInsns: number; // what runSlice runs when given no budget
  private readonly limits: RunLimits;
  private readonly onConsole: ((text: string) => void) | undefined;
  private consoleText = '';
  private executed = 0;
  /** Wall-clock ms spent inside runSlice's engine runs (what timeoutMs limits). */
  private runMs = 0;
  private final: StopReason | null = null;
  /* Set during a slice by devices/hooks (requested stop) and by the fill hook (fault). */
  private readonly ending = new SliceEnd();
  private closed = false;
  /** What a debugger may do between slices (emulator/debug/machine-debug.ts). */
  readonly debug: MachineDebug;

  /* Host RAM, then the devices and their windows, then the memory path, the image and the engine. */
  constructor(image: GuestImage, opts: MachineOptions) {
    super();
    this.arch = image.arch;
    this.memBytes = opts.memBytes;
    this.sliceInsns = opts.sliceInsns ?? DEFAULT_SLICE_INSNS;
    checkSizes(this.memBytes, this.sliceInsns);
    this.ramBase = LAYOUT[image.arch].ramBase;
    this.limits = { maxInsns: opts.maxInsns, timeoutMs: opts.timeoutMs };
    this.onConsole = opts.onConsole;
    this.sink = opts.sink ?? nullSink;
    this.vcpu = VCPUS[image.arch];
    this.ram = hostRam(image.arch, this.ramBase, opts, this.sink);
    this.vm = this.ram.vm;
    this.inFlight = this.vm?.inFlight ?? null;
    const deviceHost = this.deviceHost();
    this.bus = new DeviceBus(image.arch, deviceHost);
    this.windows = this.bus.windows(this.ram.bytes);
    const ctx: MemoryPathContext = {
      arch: image.arch,
      ramBase: this.ramBase,
      memBytes: this.memBytes,
      windows: this.windows,
      windowNames: this.bus.mmio.map((d) => d.name),
      paging: () => this.guestPaging(),
      user: () => this.userMode(),
      sink: this.sink,
      site: () => this.site(),
      translator: opts.translator,
      stormLimit: opts.faultStormLimit,
    };
    const path = memoryPath(this.ram, ctx);
    this.mmu = path.mmu;
    this.translator = path.translator;
    this.memory = path.memory;
    if (opts.requireHostMinimum) this.vm?.refuseBelowMinimum();
    loadImage(image, this.ramBase, this.memBytes, path);
    const quantum = opts.quantum ?? DEFAULT_QUANTUM;
    ({ set: this.cpus, wakeup: this.wakeup } = buildVcpus({
      ...{ count: checkCpus(opts.cpus ?? 1, quantum), quantum, vm: this.vm, mmu: this.mmu, ctx },
      translator: this.translator,
      open: (smp) => this.engine(image, deviceHost, { counter: opts.counter, smp }),
    }));
    for (const c of this.cpus.cores) this.kickTo(c);
    this.uc = this.cpus.cores[0].uc;
    this.ucOpen = true;
    const [ucs, paging] = [this.cpus.cores.map((c) => c.uc), (uc: Unicorn) => this.vcpuPaging(uc)];
    this.debug = new MachineDebug(this.arch, ucs, this.vm, paging, this.ending);
    // An evicted frame is about to hold another page: no TLB entry may still reach it, even for the
    // rest of this slice, so flush now, inside the fill (the debugger's TLB record with it).
    if (this.vm) this.vm.reclaimer.recycled = () => this.cpus.flushAll(() => this.debug.flushTlb());
  }

  /* A change kicks the running vCPU out of its engine; from its own data fill, that fill is refused (stop-cause.ts). */
  private kickTo(core: Core): void {
    core.client?.setKick(() => {
      this.kicked = true;
      core.kicks++;
      this.refuseFill = this.ending.kicked(this.dataFill, core.uc);
    });
  }
  private engine(
    image: GuestImage,
    deviceHost: DeviceHost,
    more: Pick<EngineWiring, 'counter' | 'smp'>,
  ): Unicorn {
    return openEngine({
      ...{ arch: image.arch, ram: this.ram, windows: this.windows, bus: this.bus, vcpu: this.vcpu },
      ...{ deviceHost, entry: image.entry, stackTop: this.ramBase + this.memBytes, ...more },
      fill: (va, memType, entry, raw) => this.fill(va, memType, entry, raw),
      inside: (fn) => this.ending.inside(fn),
      fetchWord: (va) => this.memory.word32(va),
    });
  }

  /** Everything the guest has printed so far. */
  get console(): string {
    return this.consoleText;
  }

  /** Which instruction counter the engine counts with (emulator/unicorn/block-shim.ts). */
  get counter(): 'hook' | 'block' {
    return this.uc.counter;
  }

  /** TLB fills so far (misses of Unicorn's TLB that reached the translator). */
  get fills(): number {
    return this.fillCount;
  }

  /** Exact number of guest instructions begun so far (a faulting one counts; one a kick cut short, once). */
  get instructions(): number {
    return this.executed;
  }

  /**
   * Run one slice of at most `insns` instructions (default: the sliceInsns option); a StopReason
   * once the guest has stopped (and forever after), else null. The TUI steps with insns = 1.
   */
  runSlice(insns: number = this.sliceInsns): StopReason | null {
    const r = this.debugSlice(insns);
    if (r !== null && isPause(r))
      throw new InvariantError(`a debugger's trap paused a plain slice (${r.kind})`);
    return r;
  }

  /**
   * runSlice, or a DebugPause: a debugger's trap caught the guest before an (uncounted)
   * instruction. With `only`, vCPU `only` runs alone (VcpuSet.pick): null at once when it is not on.
   */
  debugSlice(insns: number = this.sliceInsns, only?: number): StopReason | DebugPause | null {
    if (this.final !== null) return this.final;
    if (this.closed) throw new Error('Machine.runSlice after close()');
    if (!Number.isSafeInteger(insns) || insns <= 0) {
      throw new RangeError(`runSlice: instruction budget must be a positive integer, got ${insns}`);
    }
    const early = limitCause(this.limits, this.executed, this.runMs);
    if (early !== null) return this.finish(early);
    if (only === undefined) this.wakeup?.poll(); // x86 APs take a wakeup command at turn boundaries only
    const turn = only === undefined ? this.cpus.next() : this.cpus.pick(only);
    if (turn === null) return only === undefined ? this.finish(this.cpus.endCause()) : null;
    const max = this.limits.maxInsns;
    const budget = Math.min(insns, turn.owed, max === undefined ? Infinity : max - this.executed);
    [this.uc, this.translator, this.primary] = [turn.core.uc, turn.core.translator, turn.core.id === 0];
    try {
      return this.runTurn(turn.core, budget);
    } finally {
      this.cpus.endTurn();
      const first = this.cpus.cores[0];
      [this.uc, this.translator, this.primary] = [first.uc, first.translator, true];
    }
  }

  /* One turn of `core` (the Machine's engine now) of at most `budget` instructions. */
  private runTurn(core: Core, budget: number): StopReason | DebugPause | null {
    this.ending.begin();
    [this.kicked, this.refuseFill] = [false, false]; // a refusal left by a fill that faulted does not carry over
    if (this.vm !== null) this.vm.pmap.currentCpu = this.vm.pvCpuBase + core.id; // its faults: its own PV list
    // vCPU 0 flushes through the debugger (its TLB record too); the others their own engine
    const flush = () => (core.id === 0 ? this.debug.flushTlb() : core.uc.flushTlb());
    enterTables(core.client ?? undefined, flush, this.sink, this.cpus.tag(core), core.mmu);
    let err: number;
    const began = performance.now();
    try {
      err = this.uc.emuStart(this.pc(), 0, 0, budget);
    } finally {
      leaveTables(core.client, core.mmu);
      this.runMs += performance.now() - began;
    }
    const { requested, fault: fillFault } = this.ending;
    const paused = this.ending.paused ?? watchPause(fillFault);
    const ran = this.uc.instructionsLastSlice(this.ending, fillFault !== null, paused !== null); // corrected
    this.inFlight?.endSlice(ran > 0);
    this.executed += ran;
    this.cpus.ran(ran);
    if (this.sink.enabled)
      this.sink.emit({ type: 'vcpu-exit', instructions: ran, kicked: this.kicked, ...this.cpus.tag(core) });
    if (paused !== null) {
      if (paused.kind === 'watch' && this.sink.enabled) this.sink.emit({ type: 'watch', ...paused });
      return paused;
    }
    if (requested !== null) return this.finish(requested);
    if (err !== 0 && !(this.ending.retried && fillFault === null)) {
      // A refused fill ends the run with an error. (A refused fill WITHOUT an error was a probe,
      // e.g. for a cache-maintenance instruction, that the engine survived: not a fault.)
      // (the block counter's fills see a stale pc: the pc the engine restored is the fault's)
      const pc = this.uc.counter === 'hook' ? fillFault?.pc : undefined;
      if (fillFault !== null) return this.finish(faultCause(fillFault), pc);
      return this.finish(engineCause(err, (e) => this.uc.strerror(e)));
    }
    // A kick (translations taken away mid-slice) is not the end: the next slice flushes and goes on.
    // Nor is a vCPU that halted (or powered off) while another is still on.
    if (core.power === 'on' && !this.uc.budgetExhaustedLastRun() && !this.kicked) {
      this.cpus.halt(this.vcpu.earlyEnd(this.uc));
      if (!this.cpus.anyOn()) return this.finish(this.cpus.endCause());
    }
    const after = limitCause(this.limits, this.executed, this.runMs);
    return after === null ? null : this.finish(after);
  }

  /** A debugger's trial of one instruction (MachineDebug.trial; `only` as in debugSlice): undone unless `keep`. */
  trialStep(keep: (a: readonly DataAccess[]) => boolean, only?: number): TrialStep {
    const core = only === undefined ? this.cpus.peek() : this.cpus.cores[only];
    const slice = () => this.debugSlice(1, only);
    return this.debug.trial(core?.id ?? 0, slice, () => this.executed--, keep);
  }

  /** Run slices until the guest stops. */
  run(): StopReason {
    for (;;) {
      const stop = this.runSlice();
      if (stop !== null) return stop;
    }
  }

  /** A snapshot of the architectural registers, full width. */
  regs(): Record<string, bigint> {
    const out: Record<string, bigint> = {};
    for (const name of SNAPSHOT_REGS[this.arch]) out[name] = this.uc.regRead64(name);
    return out;
  }

  /** Whether the vCPU runs at user privilege now (x86 CPL 3, arm64 EL0). */
  userMode(): boolean {
    return this.ucOpen && this.vcpu.user(this.uc);
  }

  /** The guest's own paging configuration now (null while its paging is off). */
  guestPaging(): GuestPaging | null {
    return this.vcpuPaging(this.uc);
  }

  private vcpuPaging(uc: Unicorn): GuestPaging | null {
    return this.ucOpen ? this.vcpu.paging(uc) : null;
  }

  /** The guest apart from RAM now, or with `state` taken over (snapshot/guest-state.ts; between slices). */
  guestState(state?: GuestState): GuestState {
    const { arch, cpus, executed: instructions, consoleText: console, final, fillCount, bus } = this;
    const halted = this.vcpu.earlyEnd(this.uc); // what a halted vCPU in `state` records
    const parts = { arch, cpus, halted, devices: bus.saved, instructions, console, final, fillCount };
    if (state === undefined) return captureGuestState(parts);
    applyGuestState(state, parts);
    [this.executed, this.consoleText] = [state.instructions, state.console];
    this.cpus.flushAll(() => this.debug.flushTlb());
    return state;
  }

  /** The whole guest, RAM included (every vCPU), with no host layout in it (snapshot/snapshot.ts). */
  snapshot(): Snapshot {
    return takeSnapshot(this);
  }
  /** Continue from a snapshot of this architecture and vCPU count, whatever the host layout or format. */
  restore(snapshot: Snapshot): void {
    restoreSnapshot(this, snapshot);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ucOpen = false;
    for (const c of this.cpus.cores) {
      c.client?.setKick(null);
      c.uc.close();
    }
  }

  // ---- the memory path -------------------------------------------------------------------
  /*
   * The TLB-fill hook: translate, or record the fault and refuse (the engine then stops). A
   * Translation always grants the access (the Translator's invariant), so it is filled as it is.
   */
  private fill(va: number, memType: number, entry: TlbEntryOut, raw: number | bigint): boolean {
    this.fillCount++;
    const fetch = memType === UC_MEM_FETCH;
    // The fill's instruction: a fetch is for the instruction about to begin, data for the one begun.
    this.inFlight?.atInstruction(this.uc.instructionsBegunNow() + (fetch ? 1 : 0));
    this.dataFill = !fetch;
    const r = this.translator.translate(gva(va), accessOf(memType));
    this.dataFill = false;
    if (isFault(r)) {
      this.ending.fault ??= { fault: r, pc: this.pc64(), va: exactU64(raw) };
      return false;
    }
    if (this.refuseFill) return (this.refuseFill = false); // a kicked load or store begins again
    // The address keeps its offset in the page: Unicorn 2.1.1 fills arm64 in 1 KiB pieces (its own
    // target page size), and each quarter of a 4 KiB page must land on its quarter of the frame.
    entry.paddr = r.hpa + (va % PAGE_SIZE);
    entry.perms = r.prot;
    if (fetch) watchFetch(this.uc, this.ram, va, r.hpa); // before the page is translated
    if (this.primary) this.debug.granted(va, r.hpa, r.prot, accessOf(memType)); // vCPU 0's record
    return true;
  }

  /* What devices may do to the Machine: print, stop it, read and hold guest memory. */
  private deviceHost(): DeviceHost {
    return {
      console: (text) => {
        this.consoleText += text;
        this.onConsole?.(text);
      },
      stop: (stop) => {
        this.ending.request(stop);
        this.ending.stopEngine(this.uc);
      },
      readGuest: (va, length) => this.memory.read(va, length),
      // DMA: guest-physical page holds on the same "devices" client as readGuest's.
      ...(this.vm === null ? {} : { holdGuest: this.vm.deviceClient.hold.bind(this.vm.deviceClient) }),
    };
  }

  // ---- stopping --------------------------------------------------------------------------

  private pc(): number {
    return this.uc.regRead(PC_REG[this.arch]);
  }

  /*
   * The instruction making an access now, from inside the fill hook (for events only): the pc the
   * engine keeps exact for memory accesses, and the instructions completed before it, the
   * slices' count plus this run's engine counter less the one it has begun.
   */
  private site(): AccessSite {
    return { pc: this.pc(), insns: this.executed + Math.max(0, this.uc.instructionsLastRun(true)) };
  }

  /* The pc at full width, for stop reports (not per slice). */
  private pc64(): bigint {
    return this.uc.regRead64(PC_REG[this.arch]);
  }

  private finish(stop: StopCause, atPc?: bigint): StopReason {
    this.final = stopAt(stop, atPc ?? this.pc64());
    return this.final;
  }
}
