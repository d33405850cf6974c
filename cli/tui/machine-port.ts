/*
 * The adapter between the live view and the real Machine: a MachinePort (session-core.ts) whose
 * readers are one-liners over the side-effect-free helpers of this folder, and whose verbs go
 * through the Machine's library API (so every change is an 'action' event and flows through the
 * vmspace like any other administrative change).
 *
 *   Machine ──runSlice(max)──────────────► run(max)          (exact instruction budget per call)
 *   Machine.vm (NestedVm)
 *     vmspace.gpt ─ gpt-view.ts ──────────► gpt(), pageStates(), walk()
 *     pmap, pools ─ inspect.ts ───────────► frameOf(), clients(), pools(), reclaim()
 *     reclaimer ─── inspect.ts ───────────► pageStates() (swapped-out pages), reclaim()
 *     vmspace.mappings() ─────────────────► regions()
 *   the shown vCPU (vcpu-view.ts) ────────► regs(), disasm(), guestPaging(), walk2d(); show('cpu', i)
 *     its engine's registers, its paging, a dry walk of its tables (bytes read straight from host RAM)
 *   event stream ─ TuiCollector ──────────► fault log, holds log, dirty counts   (in SessionCore)
 *
 * The one rule: drawing never changes machine state. Readers therefore never use the Machine's
 * own guest-memory access (that takes page holds, faults pages in, sets A/D bits). Guest bytes for
 * the disassembly are found by a dry walk of the guest's tables (no A/D stores) whose every table
 * reference, and the final address, is resolved through the vmspace's MAPPINGS to the memory
 * object's frame (not through the GPT, which may lack the page after an eviction, and whose walk
 * for a fill would set Accessed). Host RAM is then read in place. MMIO windows are never read.
 * That reader is emulator/debug/debug-memory.ts, shared with `nestvm xp`, `nestvm mem` and gdb.
 *
 * Regions the user unmapped with toggleRegion are remembered here, so regions() can still list
 * them (mapped: false) and the same key maps them back.
 */
import type { Arch } from '../../emulator/arch.js';
import { LAYOUT } from '../../emulator/arch.js';
import { loadDisassembler, type Disassembler } from '../../emulator/asm/disassemble.js';
import type { MachineEvent } from '../../emulator/events.js';
import type { GuestImage } from '../../emulator/image.js';
import { Machine, type MachineOptions, type StopReason } from '../../emulator/machine.js';
import type { NestedVm } from '../../emulator/nested-vm.js';
import type { Gpa, Gva } from '../../mmu/addr.js';
import { gpa as toGpa, hex, hfn as toHfn, PAGE_SIZE } from '../../mmu/addr.js';
import { gptNestedWalker, walkTwoDimensional } from '../../mmu/guest-walk/index.js';
import { EventFanout, type EventSink, type MmuEvent } from '../../mmu/events.js';
import { fillPageStates, gptInfo, walkOf } from './gpt-view.js';
import { clientInfo, frameInfo, markSwapped, poolInfo, reclaimInfo } from './inspect.js';
import type {
  ActionOutcome,
  ClientInfo,
  DisasmLine,
  FrameInfo,
  GptFormatName,
  GptInfo,
  PoolInfo,
  ReclaimInfo,
  RegionInfo,
  ShownInfo,
  Walk2dRef,
  WalkStep,
} from './model.js';
import {
  SessionCore,
  type DebuggerHold,
  type EventLog,
  type MachinePort,
  type SessionCoreOptions,
} from './session-core.js';
import { GdbServer, type GdbListen } from '../gdb/server.js';
import type { RunEnd } from '../run-loop.js';
import { TuiCollector } from './collector.js';
import { walk2dRefs } from './walk2d.js';
import { vcpuViews, type VcpuView } from './vcpu-view.js';

/** A stop in plain words, for the status bar: "halt", "exit status 3", "fault: ...". */
export function stopText(s: StopReason | RunEnd): string {
  switch (s.reason) {
    case 'halt':
      return 'hlt';
    case 'exit':
      return `exit status ${s.code}`;
    default:
      return s.message ?? s.reason;
  }
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export class MachineTuiPort implements MachinePort {
  readonly arch: Arch;
  readonly format: GptFormatName;
  readonly memory: { readonly base: Gpa; readonly pages: number };
  private readonly vm: NestedVm;
  private readonly unmapped = new Map<number, number>(); // region gpa -> length
  /* Each vCPU's registers, paging and disassembly (vcpu-view.ts); the CPU pane shows `cpu`. */
  private readonly vcpus: readonly VcpuView[];
  private cpu: VcpuView;

  constructor(
    private readonly machine: Machine,
    readonly guest: string,
    private readonly dis: Disassembler,
    /** The gdb stub sharing this Machine (`tui --gdb`), or null. */
    private readonly gdb: GdbServer | null = null,
  ) {
    if (machine.vm === null) throw new Error('the live view needs the nested paging layer');
    this.vm = machine.vm;
    this.arch = machine.arch;
    this.format = this.vm.format;
    this.memory = { base: toGpa(LAYOUT[this.arch].ramBase), pages: machine.memBytes / PAGE_SIZE };
    this.vcpus = vcpuViews(machine, dis);
    this.cpu = this.vcpus[0];
  }

  /* ---- running ---- */

  /*
   * With several vCPUs a Machine slice ends at the end of a vCPU's turn, so the view runs turns
   * until `max` instructions ran (a slice key runs what it says); a turn that ran nothing (a kick)
   * is simply followed by the next.
   */
  run(max: number): string | null {
    if (this.gdb !== null) return this.stopOf(this.gdb.hostSlice(max));
    const end = this.machine.instructions + max;
    for (let idle = 0; idle <= this.vcpus.length;) {
      const before = this.machine.instructions;
      const stop = this.machine.runSlice(end - before);
      if (stop !== null || this.machine.instructions >= end) return this.stopOf(stop);
      idle = this.machine.instructions === before ? idle + 1 : 0;
    }
    return null;
  }

  private stopOf(stop: StopReason | null): string | null {
    return stop === null ? null : stopText(stop);
  }

  /** With `tui --gdb`: who has the guest (the stub's hold, server.ts). */
  debugger(): DebuggerHold | null {
    if (this.gdb === null) return null;
    const h = this.gdb.hold();
    return {
      held: h.held,
      running: h.running,
      note: h.note,
      ended: h.ended === null ? null : stopText(h.ended),
    };
  }

  instructions(): number {
    return this.machine.instructions;
  }

  /** The shown vCPU's registers (vCPU 0's with one). */
  regs(): Record<string, bigint> {
    return this.cpu.regs();
  }

  /** With several vCPUs: which one the CPU pane shows. */
  shown(): ShownInfo | undefined {
    return this.vcpus.length > 1 ? { cpu: this.cpu.shown() } : undefined;
  }

  show(which: 'cpu' | 'vm', index: number): ActionOutcome {
    if (which === 'vm')
      return { ok: false, note: 'VM: one guest here (`nestvm tui a.elf b.elf` runs several)' };
    const n = this.vcpus.length;
    if (n === 1) return { ok: false, note: 'vCPU: this guest has one (start it with --cpus N for several)' };
    if (!Number.isInteger(index) || index < 0 || index >= n)
      return { ok: false, note: `vCPU: no vcpu${index} (0 to ${n - 1})` };
    this.cpu = this.vcpus[index];
    return { ok: true, note: `CPU pane shows vcpu${index} of ${n}` };
  }

  /* ---- side-effect-free readers ---- */

  /** Guest bytes at a guest-virtual address (dry guest walk, mappings, host RAM), or null. */
  readGuestBytes = (addr: number, len: number): Uint8Array | null => {
    return this.machine.debug.memory!.read(addr, len);
  };

  /** The instructions around the shown vCPU's PC (decoded again only when their bytes change). */
  disasm(): DisasmLine[] {
    return this.cpu.disasm();
  }

  /** Whether the shown vCPU pages. */
  guestPaging(): boolean {
    return this.cpu.paging() !== null;
  }

  mode(): string {
    const on = this.guestPaging();
    return this.arch === 'x86_64'
      ? `long mode, paging ${on ? 'on' : 'off'}`
      : `EL1, MMU ${on ? 'on' : 'off'}`;
  }

  console(): string {
    const lines = this.machine.console.split('\n').filter((l) => l.length > 0);
    return lines[lines.length - 1] ?? '';
  }

  gpt(): GptInfo {
    const space = this.vm.vmspace;
    return gptInfo(space.gpt, space.generation, { adEnabled: space.dirtyTracking });
  }

  pageStates(out: Uint8Array): void {
    fillPageStates(this.vm.vmspace.gpt, this.memory.base, out);
    markSwapped(this.vm.ramSwapped(), out);
  }

  reclaim(): ReclaimInfo {
    return reclaimInfo(this.vm);
  }

  walk(page: Gpa): WalkStep[] {
    return walkOf(this.vm.vmspace.gpt, page);
  }

  walk2d(gva: Gva): Walk2dRef[] | undefined {
    const paging = this.cpu.paging();
    if (paging === null) return undefined;
    const gpt = this.vm.vmspace.gpt;
    const w = walkTwoDimensional(paging, gva, 'read', this.cpu.userMode(), gptNestedWalker(gpt), this.vm.mem);
    return walk2dRefs(w, paging, gpt.format);
  }

  frameOf(page: Gpa): FrameInfo | null {
    const f = this.machine.frameOf(page);
    return f === null ? null : frameInfo(this.vm.pmap, toHfn(f), this.vm.host);
  }

  /* Every client; with several vCPUs, each vCPU's row names the generation it last recorded. */
  clients(): ClientInfo[] {
    const clients = this.vm.vmspace.clients();
    const smp = this.machine.cpus.count > 1;
    const vcpus = new Set(this.machine.cpus.cores.map((c) => c.client));
    return clients.map((c) =>
      smp && vcpus.has(c) ? { ...clientInfo(c), generation: c.generation } : clientInfo(c),
    );
  }

  pools(): PoolInfo {
    // free: holding no guest page and no table (guest RAM's frames are taken on demand)
    const total = this.vm.mem.frameCount;
    return poolInfo(this.vm.pmap.pvStats, this.vm.pool.stats, {
      free: total - this.vm.hostFrames().inUse,
      total,
    });
  }

  regions(): RegionInfo[] {
    const mapped: RegionInfo[] = this.vm.vmspace.mappings().map((m) => ({
      gpa: m.gpa,
      len: m.len,
      object: m.object.name,
      prot: m.prot,
      mmio: m.object.isMmio,
      mapped: true,
    }));
    const gone: RegionInfo[] = [...this.unmapped].map(([g, len]) => ({
      gpa: toGpa(g),
      len,
      object: this.vm.ram.name,
      prot: 0,
      mmio: false,
      mapped: false,
    }));
    return [...mapped, ...gone].sort((a, b) => a.gpa - b.gpa);
  }

  dirtyTracking(): boolean {
    return this.vm.vmspace.dirtyTracking;
  }

  /* ---- verbs (each through the Machine's library API, which emits an 'action' event) ---- */

  harvest(): ActionOutcome {
    if (!this.dirtyTracking()) return { ok: false, note: 'harvest: dirty tracking is off (d turns it on)' };
    const { dirty } = this.machine.harvestDirty();
    return { ok: true, note: `harvest: ${plural(dirty, 'page')} dirty, dirty bits cleared` };
  }

  setDirtyTracking(on: boolean): ActionOutcome {
    const now = this.machine.setDirtyTracking(on);
    if (now !== on)
      return { ok: false, note: `dirty tracking: the ${this.format} format cannot track dirty pages` };
    return { ok: true, note: `dirty tracking ${now ? 'on' : 'off'}` };
  }

  resetAccessed(): ActionOutcome {
    const n = this.machine.resetAccessed();
    return { ok: true, note: `reset accessed: ${plural(n, 'page')} reset` };
  }

  evict(page: Gpa): ActionOutcome {
    const f = this.machine.frameOf(page);
    if (f === null) return { ok: false, note: `evict ${hex(page)}: page not present, nothing to evict` };
    const n = this.machine.disconnectFrame(f);
    return {
      ok: true,
      note: `evict ${hex(page)}: host frame ${hex(f)} disconnected from ${plural(n, 'PTE')}`,
    };
  }

  toggleRegion(page: Gpa): ActionOutcome {
    const r = this.vm.ramRegionOf(page);
    if (r === null) return { ok: false, note: `region of ${hex(page)}: not guest RAM` };
    const span = `${hex(r.gpa)}..${hex(r.gpa + r.len)}`;
    if (this.unmapped.has(r.gpa)) {
      if (!this.machine.remapRegion(toGpa(r.gpa))) return { ok: false, note: `remap ${span}: refused` };
      this.unmapped.delete(r.gpa);
      return { ok: true, note: `remap ${span}: mapped back` };
    }
    if (!this.machine.unmapRegion(toGpa(r.gpa))) return { ok: false, note: `unmap ${span}: not mapped` };
    this.unmapped.set(r.gpa, r.len);
    return { ok: true, note: `unmap ${span}: the guest faults on its next touch` };
  }

  close(): void {
    this.gdb?.shutdown(); // before the Machine goes: the stub removes its traps from it
    this.machine.close();
  }
}

/*
 * Building a live session: the collector must exist before the Machine (it is the Machine's event
 * sink, fanned out with --trace's writer), and the disassembler loads asynchronously.
 *
 *   events:  Machine ──► EventFanout ─┬─► TuiCollector (fault log, holds, dirty counts)
 *                                     └─► trace (--trace FILE), when given
 *   actions: SessionCore ─► collector.logAction (fault log) and trace {type:'action', action:'tui'}
 */
export interface TuiSessionOptions extends Pick<SessionCoreOptions, 'sliceSize' | 'now' | 'schedule'> {
  /** The guest's name as shown in the header. */
  readonly guest: string;
  readonly machine: Omit<MachineOptions, 'sink' | 'onConsole'>;
  /** Every event, and every user action, for --trace. */
  readonly trace?: EventSink<MachineEvent>;
  /** `--gdb`: serve the GDB remote protocol on this Machine while the view runs (server.ts, hosted). */
  readonly gdb?: GdbListen;
}

export interface LiveSession {
  readonly session: SessionCore;
  readonly machine: Machine;
  readonly collector: TuiCollector;
  readonly port: MachineTuiPort;
  /** With --gdb: the stub's loop, settled once the session closed (port.close shuts it down). */
  readonly served: Promise<unknown> | null;
}

/** The TUI's default slice: a few ms of guest time, so keys and frames never wait long. */
export const TUI_SLICE = 20_000;

/** The collector, and the sink a Machine built for the view emits to (the collector, and --trace's writer). */
export function viewSink(trace: EventSink<MachineEvent> | undefined): {
  readonly collector: TuiCollector;
  readonly sink: EventSink<MachineEvent>;
} {
  // A nested fault met during a TLB fill carries the fill's guest-virtual address while the guest
  // pages: the fault log shows it (Enter on the line then selects it for the two-dimensional walk).
  const collector = new TuiCollector();
  // The collector reads the MMU events and the watch faults; the emulator's others (fill, device,
  // vcpu) fall through its switch.
  const toCollector: EventSink<MachineEvent> = {
    get enabled() {
      return collector.enabled;
    },
    emit: (e) => (e.type === 'watch' ? collector.logWatch(e) : collector.emit(e as MmuEvent)),
  };
  return { collector, sink: trace ? new EventFanout<MachineEvent>([toCollector, trace]) : toCollector };
}

/** The SessionCore over a port, its actions noted in --trace. */
export function viewSession(
  port: MachinePort,
  collector: EventLog,
  opts: Pick<TuiSessionOptions, 'sliceSize' | 'now' | 'schedule' | 'trace'>,
): SessionCore {
  const trace = opts.trace;
  return new SessionCore(port, collector, {
    sliceSize: opts.sliceSize ?? TUI_SLICE,
    now: opts.now,
    schedule: opts.schedule,
    trace: trace ? (note) => trace.emit({ type: 'action', action: 'tui', detail: note }) : undefined,
  });
}

export async function openTuiSession(image: GuestImage, opts: TuiSessionOptions): Promise<LiveSession> {
  const dis = await loadDisassembler(image.arch);
  const { collector, sink } = viewSink(opts.trace);
  const machine = new Machine(image, { ...opts.machine, sink });
  const trace = opts.trace;
  const gdb = opts.gdb === undefined ? null : await listenHosted(machine, opts.gdb, collector, trace);
  const port = new MachineTuiPort(machine, opts.guest, dis, gdb);
  const session = viewSession(port, collector, opts);
  return { session, machine, collector, port, served: gdb?.serve() ?? null };
}

/* The stub on the live view's Machine: its notes go to the fault log (and --trace), not the terminal. */
async function listenHosted(
  machine: Machine,
  where: GdbListen,
  collector: TuiCollector,
  trace: EventSink<MachineEvent> | undefined,
): Promise<GdbServer> {
  const log = {
    write: (text: string) => {
      for (const line of text.split('\n').filter((l) => l.length > 0)) {
        const note = line.replace(/^nestvm: /, '');
        collector.logAction(note);
        trace?.emit({ type: 'action', action: 'tui', detail: note });
      }
    },
  };
  try {
    return await GdbServer.listen(machine, where, { log, interrupted: () => false, hosted: true });
  } catch (e) {
    machine.close();
    throw e;
  }
}
