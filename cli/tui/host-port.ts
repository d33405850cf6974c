/*
 * The live view of several guests on one host (`nestvm tui a.elf b.elf`): a MachinePort over a
 * HostRun (emulator/host-run.ts), the same round-robin `nestvm run a.elf b.elf` uses, so the view
 * runs exactly the instructions `run` runs, in the same order.
 *
 *   HostRun ──slice(max)──────────────────► run(max)      (turns cut where the view cuts them)
 *   ports[i]: MachineTuiPort over guest i ─► every reader and verb, of the guest shown
 *   collectors[i]: guest i's event stream ─► ShownLog: the fault log, holds log and dirty counts
 *                                            of the guest shown (SessionCore's EventLog)
 *
 * Which guest the panes show is a view (show('vm', i), the v key): every reader and verb goes to
 * the guest shown, so the CPU, Faults, Holds, Dirty, GPT and Frames panes all switch together,
 * and a harvest or an evict acts on the guest whose pages are on the screen. Running, stepping
 * and the instruction count are the host's: space runs every guest, `s` runs the one instruction
 * whose turn it is, whichever guest the panes show. Each guest has its own collector, so fault
 * logs never mix; the console line of the CPU pane is tagged with the guest's `[vmN] `, as `run`
 * tags each line.
 *
 * Invariants: `shown` is an index into ports; the ports share one host and are closed together,
 * once; the view ends (run() gives a stop) only once every guest has ended, and each guest's own
 * end is in shown().vm.ended.
 */
import type { Arch } from '../../emulator/arch.js';
import { loadDisassembler, type Disassembler } from '../../emulator/asm/disassemble.js';
import { HostRun, type MergeOptions } from '../../emulator/host-run.js';
import type { GuestImage } from '../../emulator/image.js';
import { Machine, type MachineOptions } from '../../emulator/machine.js';
import type { NestedHost } from '../../emulator/nested-host.js';
import type { Gpa, Gva } from '../../mmu/addr.js';
import type { TuiCollector } from './collector.js';
import { MachineTuiPort, stopText, viewSession, viewSink, type TuiSessionOptions } from './machine-port.js';
import type { ActionOutcome, GptFormatName, ShownInfo } from './model.js';
import type { EventLog, MachinePort, SessionCore } from './session-core.js';

type Port = MachineTuiPort;

/** The fault log, holds log and dirty counts of the guest shown. */
class ShownLog implements EventLog {
  constructor(
    private readonly logs: readonly TuiCollector[],
    private readonly at: () => number,
  ) {}
  private get log(): TuiCollector {
    return this.logs[this.at()];
  }
  get stamp() {
    return this.log.stamp;
  }
  get harvests() {
    return this.log.harvests;
  }
  get dirtySinceHarvest() {
    return this.log.dirtySinceHarvest;
  }
  logAction(note: string): void {
    this.log.logAction(note);
  }
  faults() {
    return this.log.faults();
  }
  holdEntries() {
    return this.log.holdEntries();
  }
  dirtyRate(nowMs: number): number {
    return this.log.dirtyRate(nowMs);
  }
}

export class HostTuiPort implements MachinePort {
  private shownAt = 0;

  constructor(
    private readonly run_: HostRun,
    private readonly ports: readonly Port[],
    private readonly names: readonly string[],
  ) {}

  get index(): number {
    return this.shownAt;
  }
  private get p(): Port {
    return this.ports[this.shownAt];
  }
  get guest(): string {
    return this.names[this.shownAt];
  }
  get arch(): Arch {
    return this.p.arch;
  }
  get format(): GptFormatName {
    return this.p.format;
  }
  get memory() {
    return this.p.memory;
  }

  /* ---- running: the host's ---- */

  run(max: number): string | null {
    const r = this.run_;
    const end = r.instructions + max;
    for (let idle = 0; !r.done && r.instructions < end && idle <= this.ports.length;) {
      const before = r.instructions;
      r.slice(end - before);
      idle = r.instructions === before ? idle + 1 : 0;
    }
    return r.done ? this.ending() : null;
  }

  /* Every guest's end, in command-line order. */
  private ending(): string {
    const ends = this.run_.stops.map((s, i) => `vm${i} ${s === null ? 'running' : stopText(s)}`);
    return `every guest ended: ${ends.join(', ')}`;
  }

  instructions(): number {
    return this.run_.instructions;
  }

  /* ---- the view ---- */

  shown(): ShownInfo {
    const stop = this.run_.stops[this.shownAt];
    const vm = {
      index: this.shownAt,
      count: this.ports.length,
      name: this.guest,
      instructions: this.run_.machines[this.shownAt].instructions,
      ...(stop === null ? {} : { ended: stopText(stop) }),
    };
    return { ...this.p.shown(), vm };
  }

  show(which: 'cpu' | 'vm', index: number): ActionOutcome {
    if (which === 'cpu') return this.p.show('cpu', index);
    const n = this.ports.length;
    if (!Number.isInteger(index) || index < 0 || index >= n)
      return { ok: false, note: `VM: no vm${index} (0 to ${n - 1})` };
    this.shownAt = index;
    return { ok: true, note: `every pane shows vm${index}: ${this.guest}` };
  }

  /* ---- readers and verbs: the guest shown's ---- */

  regs = () => this.p.regs();
  disasm = () => this.p.disasm();
  guestPaging = () => this.p.guestPaging();
  mode = () => this.p.mode();
  gpt = () => this.p.gpt();
  pageStates = (out: Uint8Array) => this.p.pageStates(out);
  walk = (page: Gpa) => this.p.walk(page);
  walk2d = (gva: Gva) => this.p.walk2d(gva);
  frameOf = (page: Gpa) => this.p.frameOf(page);
  clients = () => this.p.clients();
  pools = () => this.p.pools();
  reclaim = () => this.p.reclaim();
  regions = () => this.p.regions();
  dirtyTracking = () => this.p.dirtyTracking();
  harvest = () => this.p.harvest();
  setDirtyTracking = (on: boolean) => this.p.setDirtyTracking(on);
  resetAccessed = () => this.p.resetAccessed();
  evict = (page: Gpa) => this.p.evict(page);
  toggleRegion = (page: Gpa) => this.p.toggleRegion(page);

  /** The guest shown's last console line, tagged as `run` tags it. */
  console(): string {
    const line = this.p.console();
    return line === '' ? '' : `[vm${this.shownAt}] ${line}`;
  }

  close(): void {
    for (const p of this.ports) p.close();
  }
}

export interface HostSessionOptions extends Pick<
  TuiSessionOptions,
  'sliceSize' | 'now' | 'schedule' | 'trace'
> {
  /** Each guest's name as given on the command line, in order. */
  readonly guests: readonly string[];
  readonly host: NestedHost;
  readonly machine: Omit<MachineOptions, 'sink' | 'onConsole' | 'host'>;
  readonly merge?: MergeOptions | null;
}

export interface HostSession {
  readonly session: SessionCore;
  readonly port: HostTuiPort;
  readonly run: HostRun;
  readonly machines: readonly Machine[];
}

/** Every guest on the one host, each with its own collector, behind one SessionCore. */
export async function openHostSession(
  images: readonly GuestImage[],
  opts: HostSessionOptions,
): Promise<HostSession> {
  const dis = new Map<Arch, Disassembler>();
  for (const img of images) if (!dis.has(img.arch)) dis.set(img.arch, await loadDisassembler(img.arch));
  const machines: Machine[] = [];
  const collectors: TuiCollector[] = [];
  const ports: Port[] = [];
  try {
    for (const [i, image] of images.entries()) {
      const { collector, sink } = viewSink(opts.trace);
      const machine = new Machine(image, { ...opts.machine, host: opts.host, sink });
      machines.push(machine);
      collectors.push(collector);
      ports.push(new MachineTuiPort(machine, opts.guests[i], dis.get(image.arch)!));
    }
  } catch (e) {
    for (const m of machines) m.close();
    throw e;
  }
  const run = new HostRun(opts.host, machines, opts.merge ?? null, opts.trace);
  const port = new HostTuiPort(run, ports, opts.guests);
  const session = viewSession(port, new ShownLog(collectors, () => port.index), opts);
  return { session, port, run, machines };
}
