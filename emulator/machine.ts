/*
 * The Machine: one guest image, one vCPU, its devices, and a run loop that runs in slices, so
 * that its users can act between slices: the TUI redraws and carries out the user's keys, a lab
 * script harvests the dirty log or evicts a frame, and the vCPU flushes its TLB when the
 * vmspace generation moved (tableEnter).
 *
 * Memory path (ARCHITECTURE.md §1 follows one access end to end). Host RAM is ONE
 * ArrayBuffer, the NestedVm's host memory, mapped once into Unicorn at host-physical 0 with
 * uc_mem_map_ptr; each device gets a one-page MMIO aperture above host RAM. Unicorn runs in
 * virtual-TLB mode, so it never translates a guest address itself: every miss in its software TLB
 * calls fill() here, which asks the Translator. That is the NestedMmu (nested-mmu.ts): the guest's
 * own walk while the guest pages, then the nested page table, with nested faults taken into the
 * vmspace through the vCPU's client. A caller that passes `translator` or `hostMemory` gets a
 * Machine without the nested layer: the translator it passes, or fixedOffsetTranslator (guest RAM
 * at host-physical 0, device pages to their apertures); tests use that to check the Machine on
 * its own. Devices reach guest memory through HeldGuestMemory (page holds on the "devices"
 * client), or through GuestMemory and the translator when there is no nested layer.
 *
 * Exact instruction counts, no JS per instruction. Each slice is uc_emu_start(count = budget), with
 * the engine's `until` address switched off (useNoExits: otherwise pc 0, x86-64 RAM's first byte,
 * would end every slice before its first instruction),
 * and the engine's own counter says how many instructions the slice began (insn-counter.ts): the
 * whole budget, or fewer when something ended the slice early (a device stop, hlt, a fault). Two
 * measured rules of Unicorn 2.1.1 complete the picture: an instruction that faults or traps has
 * begun, so it counts; and a stop requested from the middle of an instruction (port I/O, MMIO)
 * lets the engine count the NEXT instruction before it stops, so that one is taken off again
 * (`stoppedInside`). The slice size therefore never changes the count (tested).
 *
 * What it costs (bench/loop-ips.ts, tight LCG loop, CPU time, best of 5): the Machine runs at
 * 0.98-1.00 of raw Unicorn running the same slices with the same count, on both architectures:
 * the fill hook, the translator and slicing cost nothing measurable once the TLB is warm. But
 * Unicorn implements `count` with a C code hook before every instruction, which makes any counted
 * run much slower than a free one: raw free running is ~4x faster on arm64 (2,490 vs 676 MIPS)
 * and ~30x faster on x86-64 (4,700 vs 155 MIPS), so the Machine runs at 0.27 (arm64) and 0.03
 * (x86-64) of free-running raw Unicorn. The 2.1 API offers no cheaper exact count; free running
 * would lose `instructions`, the instruction limit and deterministic slice boundaries.
 *
 * Stops. Devices and exception hooks call stop(), which records the reason and asks the engine to
 * stop at the next instruction boundary; the fill hook records a translation fault and returns
 * "no translation", which makes the engine end the run with an error. After each slice the
 * Machine turns, in this order, a recorded stop, an engine error (explained by the recorded fault
 * when there is one), an early end (x86 hlt, arm64 wfi), the instruction limit, or the
 * timeout into a StopReason. The timeout counts wall-clock time spent running slices, so time
 * between slices (a paused live view) does not use it up; it is checked between slices only (the
 * count stays exact; only where the timeout lands varies).
 *
 * Invariants: the host RAM buffer outlives the engine (the binding pins it); after a StopReason
 * is returned every later runSlice()/run() returns the same one; `instructions` never counts an
 * instruction twice and never misses one.
 */
import { pageAlignDown, PAGE_SIZE, gpa, gva, hex, hpa, type Gpa, type Hfn } from '../mmu/addr.js';
import { PROT_ALL, protString, type AccessKind } from '../mmu/prot.js';
import { LAYOUT, type Arch } from './arch.js';
import { DeviceBus } from './device-bus.js';
import type { DeviceHost } from './devices/device.js';
import { nullSink, type EventSink } from '../mmu/events.js';
import { collectStats, type RunStats } from './run-stats.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';
import type { GuestPaging } from '../mmu/guest-walk/guest-paging.js';
import type { MachineEvent } from './events.js';
import { GuestMemory, type GuestMemoryAccess } from './guest-memory.js';
import { HeldGuestMemory } from './held-memory.js';
import { NestedMmu } from './nested-mmu.js';
import { NestedVm } from './nested-vm.js';
import { BadGuestError, type GuestImage } from './image.js';
import { EXIT_FAULT, EXIT_LIMIT, type StopReason } from './stop-reason.js';
import {
  FixedOffsetTranslator,
  isFault,
  type DeviceWindow,
  type TranslationFault,
  type Translator,
} from './translator.js';
import { UC_ERR_INSN_INVALID, UC_MEM_FETCH, UC_MEM_WRITE, UC_TLB_VIRTUAL } from './unicorn/constants.js';
import { PC_REG, SNAPSHOT_REGS } from './unicorn/registers.js';
import { Unicorn, exactU64, type TlbEntryOut } from './unicorn/unicorn.js';
import { arm64Vcpu } from './vcpu-arm64.js';
import type { VcpuArch, VcpuHost } from './vcpu.js';
import { x86Vcpu } from './vcpu-x86.js';

export type { StopReason } from './stop-reason.js';

export interface MachineOptions {
  /** Guest RAM in bytes (a multiple of 4 KiB). */
  readonly memBytes: number;
  /** Stop with 'limit' after exactly this many instructions. */
  readonly maxInsns?: number;
  /** Stop with 'timeout' once slices have run this long, in wall-clock ms (checked between slices). */
  readonly timeoutMs?: number;
  /** Instruction budget of one slice (default 2,000,000). */
  readonly sliceInsns?: number;
  /** Called with each piece of console output as the guest produces it. */
  readonly onConsole?: (text: string) => void;
  /** Host RAM to use instead of the nested layer's (given, the Machine has no nested layer). */
  readonly hostMemory?: ArrayBuffer;
  /** Bytes of hostMemory to map (default: all of it). */
  readonly hostBytes?: number;
  /**
   * Build the Translator the fill hook asks. Given, it replaces the nested paging layer (tests
   * use fixedOffsetTranslator: guest RAM at host-physical 0).
   */
  readonly translator?: (ctx: TranslatorContext) => Translator;
  /** Nested paging entry format (default: ept on x86-64, s2 on arm64). */
  readonly format?: FormatName;
  /** Dirty tracking in the nested tables (default on). */
  readonly dirtyTracking?: boolean;
  /** Where the event stream goes (DESIGN §6): trace writer, TUI, summary counters. */
  readonly sink?: EventSink<MachineEvent>;
}

/** What a translator factory needs to know about the machine's layout. */
export interface TranslatorContext {
  readonly arch: Arch;
  /** Guest-physical base and size of guest RAM. */
  readonly ramBase: Gpa;
  readonly memBytes: number;
  /** Bytes of host RAM mapped at host-physical 0. */
  readonly hostBytes: number;
  /** The device pages and their MMIO apertures above host RAM. */
  readonly windows: readonly DeviceWindow[];
}

export const fixedOffsetTranslator = (ctx: TranslatorContext): Translator =>
  new FixedOffsetTranslator(ctx.ramBase, ctx.memBytes, hpa(0), ctx.windows);

export const DEFAULT_SLICE_INSNS = 2_000_000;

const VCPUS: Record<Arch, VcpuArch> = { x86_64: x86Vcpu, arm64: arm64Vcpu };

/* Unicorn's access kinds -> ours. */
const accessOf = (memType: number): AccessKind =>
  memType === UC_MEM_FETCH ? 'exec' : memType === UC_MEM_WRITE ? 'write' : 'read';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A StopReason before the pc is read. */
type StopCause = Omit<StopReason, 'pc' | 'pc64'>;

/* A fault the fill hook recorded: the pc and the engine's address, both at full width. */
interface RecordedFault {
  readonly fault: TranslationFault;
  readonly pc: bigint;
  readonly va: bigint;
}

/**
 * One line for a translation fault: nested kinds name the guest-physical page, 'guest' the GVA.
 * An address past 2^53 can only be the engine's own address, which a number may round, so `va`
 * (that address at full width) is printed in its place.
 */
export function describeFault(f: TranslationFault, va?: bigint): string {
  const at = (n: number) => (Number.isSafeInteger(n) || va === undefined ? hex(n) : `0x${va.toString(16)}`);
  switch (f.kind) {
    case 'nomap':
      return `nested page fault: guest touched unmapped guest-physical ${at(f.gpa)} (${f.access})`;
    case 'rights':
      return `nested page fault: guest-physical ${at(f.gpa)} does not allow ${f.access} (mapped ${protString(f.prot)})`;
    case 'exhausted':
      return `host memory exhausted: no frame for a nested page table at guest-physical ${at(f.gpa)} (${f.access}); give --host-mem more room`;
    case 'guest': {
      const code = f.arch === 'x86_64' ? `error code ${hex(f.code)}` : `fault status ${hex(f.code)}`;
      return `guest page fault: ${f.reason} at guest-virtual ${at(f.gva)} (${f.access}), level ${f.level} of the guest's tables, ${code}`;
    }
  }
}

export class Machine {
  readonly arch: Arch;
  readonly memBytes: number;
  private readonly uc: Unicorn;
  private readonly host: ArrayBuffer;
  private readonly hostBytes: number;
  private readonly hostU8: Uint8Array;
  private readonly ramBase: number;
  private readonly translator: Translator;
  /** Host-side guest memory access of devices (page holds when nested). */
  private readonly memory: GuestMemoryAccess;
  /* How the image gets into guest RAM: the VMM's own writes (nested), or through the translator. */
  private readonly loadBytes: (gpa: number, bytes: Uint8Array) => boolean;
  /** The nested paging layer (null when a translator was injected). */
  readonly vm: NestedVm | null = null;
  readonly mmu: NestedMmu | null = null;
  private readonly sink: EventSink<MachineEvent>;
  private kicked = false;
  private ucOpen = false;
  /** Device pages and the host-physical apertures they are routed to. */
  readonly windows: readonly DeviceWindow[];
  private fillCount = 0;
  private readonly vcpu: VcpuArch;
  private readonly bus: DeviceBus;
  private readonly sliceInsns: number;
  private readonly maxInsns: number | undefined;
  private readonly timeoutMs: number | undefined;
  private readonly onConsole: ((text: string) => void) | undefined;
  private consoleText = '';
  private executed = 0;
  /** Wall-clock ms spent inside runSlice's engine runs (what timeoutMs limits). */
  private runMs = 0;
  private final: StopReason | null = null;
  /* Set during a slice by devices/hooks (requested stop) and by the fill hook (fault). */
  private requested: StopCause | null = null;
  private fillFault: RecordedFault | null = null;
  /* A device is being called from the middle of an instruction (port or MMIO access). */
  private inInstruction = false;
  private stoppedInside = false;
  private closed = false;

  constructor(image: GuestImage, opts: MachineOptions) {
    const { memBytes } = opts;
    if (!Number.isSafeInteger(memBytes) || memBytes <= 0 || memBytes % PAGE_SIZE !== 0) {
      throw new RangeError(`memBytes must be a positive multiple of ${PAGE_SIZE}, got ${memBytes}`);
    }
    this.arch = image.arch;
    this.memBytes = memBytes;
    this.ramBase = LAYOUT[image.arch].ramBase;
    this.sliceInsns = opts.sliceInsns ?? DEFAULT_SLICE_INSNS;
    if (!Number.isSafeInteger(this.sliceInsns) || this.sliceInsns <= 0) {
      throw new RangeError(`sliceInsns must be a positive integer, got ${this.sliceInsns}`);
    }
    this.maxInsns = opts.maxInsns;
    this.timeoutMs = opts.timeoutMs;
    this.onConsole = opts.onConsole;
    this.sink = opts.sink ?? nullSink;
    const sink = this.sink;
    // The nested paging layer, unless the caller brings its own translator or host memory.
    if (opts.translator === undefined && opts.hostMemory === undefined) {
      this.vm = new NestedVm({
        arch: image.arch,
        ramBase: this.ramBase,
        memBytes,
        format: opts.format,
        hostBytes: opts.hostBytes,
        dirtyTracking: opts.dirtyTracking,
        sink,
      });
    }
    this.host = this.vm?.mem.buffer ?? opts.hostMemory ?? new ArrayBuffer(memBytes);
    this.hostBytes = this.vm?.mem.bytes ?? opts.hostBytes ?? this.host.byteLength;
    if (
      this.hostBytes < memBytes ||
      this.hostBytes % PAGE_SIZE !== 0 ||
      this.hostBytes > this.host.byteLength
    ) {
      throw new RangeError(
        `host memory of ${this.hostBytes} bytes cannot hold ${memBytes} bytes of guest RAM`,
      );
    }
    this.hostU8 = new Uint8Array(this.host, 0, this.hostBytes);
    this.vcpu = VCPUS[image.arch];

    const deviceHost = this.deviceHost();
    this.bus = new DeviceBus(image.arch, deviceHost);
    const windows = this.bus.windows(this.hostBytes);
    this.windows = windows;
    if (this.vm !== null) {
      const vm = this.vm;
      vm.mapDevices(
        windows.map((w, i) => ({ name: this.bus.mmio[i].name, gpa: w.gpa, size: w.size, hpa: w.hpa })),
      );
      const paging = () => (this.ucOpen ? this.vcpu.paging(this.uc) : null);
      this.mmu = new NestedMmu({
        vmspace: vm.vmspace,
        client: vm.vcpuClient,
        paging,
        user: () => this.ucOpen && this.vcpu.user(this.uc),
        sink,
      });
      this.translator = this.mmu;
      this.memory = new HeldGuestMemory(vm.vmspace, vm.deviceClient, paging);
      this.loadBytes = (g, bytes) => vm.writeRam(g, bytes);
    } else {
      this.translator = (opts.translator ?? fixedOffsetTranslator)({
        arch: image.arch,
        ramBase: gpa(this.ramBase),
        memBytes,
        hostBytes: this.hostBytes,
        windows,
      });
      this.memory = new GuestMemory(this.translator, this.hostU8);
      this.loadBytes = (g, bytes) => this.memory.write(g, bytes) === null;
    }
    this.loadImage(image);

    this.uc = Unicorn.open(image.arch);
    this.ucOpen = true;
    this.vm?.vcpuClient.setKick(() => {
      this.kicked = true;
      this.uc.emuStop();
    });
    try {
      this.uc.setTlbMode(UC_TLB_VIRTUAL);
      this.uc.useNoExits();
      this.uc.mapPtr(0, this.host, PROT_ALL, this.hostBytes);
      windows.forEach((w, i) => {
        const dev = this.bus.mmio[i];
        this.uc.mmioMap(
          w.hpa,
          w.size,
          (off, size) => this.inside(() => dev.read(off, size)),
          (off, size, v) => this.inside(() => dev.write(off, size, v)),
        );
      });
      this.uc.hookTlbFill((va, memType, entry, raw) => this.fill(va, memType, entry, raw));
      const vcpuHost: VcpuHost = {
        ...deviceHost,
        portRead: (port, size) => this.inside(() => this.bus.portRead(port, size)),
        portWrite: (port, size, value) => this.inside(() => this.bus.portWrite(port, size, value)),
        fetchWord: (va) => this.memory.word32(va),
      };
      this.vcpu.install(this.uc, vcpuHost);
      this.vcpu.reset(this.uc, image.entry, this.ramBase + memBytes);
    } catch (e) {
      this.uc.close();
      throw e;
    }
  }

  /** Everything the guest has printed so far. */
  get console(): string {
    return this.consoleText;
  }

  /** TLB fills so far (misses of Unicorn's TLB that reached the translator). */
  get fills(): number {
    return this.fillCount;
  }

  /** Exact number of guest instructions begun so far (a faulting instruction counts). */
  get instructions(): number {
    return this.executed;
  }

  /**
   * Run one slice of at most `insns` instructions (default: the sliceInsns option); a StopReason
   * once the guest has stopped (and forever after), else null. The TUI steps with insns = 1.
   */
  runSlice(insns: number = this.sliceInsns): StopReason | null {
    if (this.final !== null) return this.final;
    if (this.closed) throw new Error('Machine.runSlice after close()');
    if (!Number.isSafeInteger(insns) || insns <= 0) {
      throw new RangeError(`runSlice: instruction budget must be a positive integer, got ${insns}`);
    }
    const early = this.limitOrTimeout();
    if (early !== null) return this.finish(early);

    const budget = this.maxInsns === undefined ? insns : Math.min(insns, this.maxInsns - this.executed);
    this.requested = null;
    this.fillFault = null;
    this.stoppedInside = false;
    this.kicked = false;
    this.tableEnter();
    let err: number;
    let ran: number;
    const began = performance.now();
    try {
      err = this.uc.emuStart(this.pc(), 0, 0, budget);
      ran = this.uc.instructionsLastRun(this.stoppedInside);
    } finally {
      this.vm?.vcpuClient.tableExit();
      this.runMs += performance.now() - began;
    }
    this.executed += ran;
    if (this.sink.enabled) this.sink.emit({ type: 'vcpu-exit', instructions: ran, kicked: this.kicked });

    // Hooks set these during emuStart (TypeScript cannot see that through the call).
    const requested = this.requested as StopCause | null;
    const fillFault = this.fillFault as RecordedFault | null;
    if (requested !== null) return this.finish(requested);
    if (err !== 0) {
      // A refused fill ends the run with an error. (A refused fill WITHOUT an error was a probe,
      // e.g. for a cache-maintenance instruction, that the engine survived: not a fault.)
      if (fillFault !== null) return this.finish(this.faultStop(fillFault.fault, fillFault.va), fillFault.pc);
      return this.finish(this.engineError(err));
    }
    // A kick (an administrative change took translations away mid-slice) is not the guest's end:
    // the next slice flushes the TLB at table enter and carries on.
    if (!this.uc.budgetExhaustedLastRun() && !this.kicked) return this.finish(this.vcpu.earlyEnd(this.uc));
    const after = this.limitOrTimeout();
    return after === null ? null : this.finish(after);
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

  // ---- the nested layer, between slices (library API, TUI, tests) -----------------------------

  /** What the run did to the nested paging layer so far; null when a translator was injected. */
  stats(): RunStats | null {
    return this.vm && this.mmu ? collectStats(this.vm, this.mmu) : null;
  }

  private nested(action: string, detail: string): NestedVm {
    if (this.vm === null)
      throw new Error(`Machine.${action}: no nested paging layer (a translator was injected)`);
    if (this.sink.enabled) this.sink.emit({ type: 'action', action, detail });
    return this.vm;
  }

  /** Dirty-log harvest over guest RAM (get and clear): one bit per page, bit i of byte i >> 3. */
  harvestDirty(): { bitmap: Uint8Array; dirty: number } {
    const vm = this.nested('harvest', 'guest RAM');
    const bitmap = new Uint8Array(Math.ceil(this.memBytes / PAGE_SIZE / 8));
    const dirty = vm.vmspace.harvestDirty(gpa(this.ramBase), this.memBytes, bitmap);
    return { bitmap, dirty: Math.max(dirty, 0) };
  }

  /** Clear the Accessed bits of guest RAM's nested leaves; the number of pages reset. */
  resetAccessed(): number {
    return this.nested('reset-accessed', 'guest RAM').vmspace.resetAccessed(gpa(this.ramBase), this.memBytes);
  }

  /** Evict a host frame: clear every nested PTE that maps it (the guest re-faults it). */
  disconnectFrame(frame: Hfn): number {
    return this.nested('disconnect', `frame ${hex(frame)}`).vmspace.disconnectFrame(frame);
  }

  /** Host frame behind a guest-physical page now (null when not present in the nested tables). */
  frameOf(guestPhys: Gpa): Hfn | null {
    return this.vm?.vmspace.gpt.lookup(pageAlignDown(guestPhys))?.frame ?? null;
  }

  /** Unmap the guest RAM region (RAM_REGION bytes) holding gpa; its next touch is a nested fault. */
  unmapRegion(guestPhys: Gpa): boolean {
    return this.nested('unmap', `region of ${hex(guestPhys)}`).unmapRam(guestPhys);
  }

  /** Map the guest RAM region holding gpa back (the same frames: its contents are kept). */
  remapRegion(guestPhys: Gpa): boolean {
    return this.nested('remap', `region of ${hex(guestPhys)}`).mapRam(guestPhys);
  }

  /** The guest's own paging configuration now (null while its paging is off). */
  guestPaging(): GuestPaging | null {
    return this.ucOpen ? this.vcpu.paging(this.uc) : null;
  }

  /** Turn dirty tracking on or off; returns whether it is on (formats without hardware A/D stay off). */
  setDirtyTracking(on: boolean): boolean {
    return this.nested('dirty-tracking', on ? 'on' : 'off').vmspace.setDirtyTracking(on);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.vm?.vcpuClient.setKick(null);
    this.ucOpen = false;
    this.uc.close();
  }

  /*
   * Table enter (the seed's vmc_table_enter): record the vmspace generation for the vCPU; if the
   * record was older, some PTE lost rights since this vCPU last ran, so Unicorn's TLB (the
   * hardware TLB here) may hold a translation the tables no longer allow: flush it, as INVEPT /
   * INVLPGA / TLBI would.
   */
  private tableEnter(): void {
    const client = this.vm?.vcpuClient;
    if (!client) return;
    const e = client.tableEnter();
    if (e.mustFlush) this.uc.flushTlb();
    if (this.sink.enabled)
      this.sink.emit({ type: 'vcpu-enter', generation: e.generation, flushed: e.mustFlush });
  }

  // ---- the memory path -------------------------------------------------------------------

  /*
   * The TLB-fill hook: translate, or record the fault and refuse (the engine then stops). A
   * Translation always grants the access (the Translator's invariant), so it is filled as it is.
   */
  private fill(va: number, memType: number, entry: TlbEntryOut, raw: number | bigint): boolean {
    this.fillCount++;
    const r = this.translator.translate(gva(va), accessOf(memType));
    if (isFault(r)) {
      this.fillFault ??= { fault: r, pc: this.pc64(), va: exactU64(raw) };
      return false;
    }
    // The address keeps its offset in the page: Unicorn masks it with its OWN target page size,
    // which for arm64 in Unicorn 2.1.1 is 1 KiB (uc_ctl cannot change it there), so a 4 KiB guest
    // page is filled a quarter at a time and each quarter must land on its own quarter of the frame.
    entry.paddr = r.hpa + (va % PAGE_SIZE);
    entry.perms = r.prot;
    return true;
  }

  /* Run a device access made from the middle of an instruction (see instructionsLastRun). */
  private inside<T>(fn: () => T): T {
    this.inInstruction = true;
    try {
      return fn();
    } finally {
      this.inInstruction = false;
    }
  }

  // ---- setup -----------------------------------------------------------------------------

  private loadImage(image: GuestImage): void {
    for (const s of image.segments) {
      const off = s.gpa - this.ramBase;
      if (off < 0 || off + s.memSize > this.memBytes || s.data.length > s.memSize) {
        throw new BadGuestError(
          `${image.origin}: segment at guest-physical ${hex(s.gpa)} (${s.memSize} bytes) does not fit in guest RAM ` +
            `${hex(this.ramBase)}..${hex(this.ramBase + this.memBytes)}`,
        );
      }
      const bytes = new Uint8Array(s.memSize);
      bytes.set(s.data);
      if (!this.loadBytes(s.gpa, bytes)) {
        throw new BadGuestError(`${image.origin}: segment at guest-physical ${hex(s.gpa)} is not guest RAM`);
      }
    }
    const entryOff = image.entry - this.ramBase;
    if (entryOff < 0 || entryOff >= this.memBytes) {
      throw new BadGuestError(`${image.origin}: entry point ${hex(image.entry)} is outside guest RAM`);
    }
  }

  private deviceHost(): DeviceHost {
    return {
      console: (text) => {
        this.consoleText += text;
        this.onConsole?.(text);
      },
      stop: (stop) => {
        if (this.requested === null) {
          this.requested = stop;
          this.stoppedInside = this.inInstruction;
        }
        this.uc.emuStop();
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

  /* The pc at full width, for stop reports (not per slice). */
  private pc64(): bigint {
    return this.uc.regRead64(PC_REG[this.arch]);
  }

  private limitOrTimeout(): StopCause | null {
    if (this.maxInsns !== undefined && this.executed >= this.maxInsns) {
      return { reason: 'limit', code: EXIT_LIMIT, message: `instruction limit of ${this.maxInsns} reached` };
    }
    if (this.timeoutMs !== undefined && this.runMs >= this.timeoutMs) {
      return { reason: 'timeout', code: EXIT_LIMIT, message: `time limit of ${this.timeoutMs} ms reached` };
    }
    return null;
  }

  private faultStop(f: TranslationFault, va: bigint): StopCause {
    return { reason: 'fault', code: EXIT_FAULT, message: describeFault(f, va) };
  }

  private engineError(err: number): StopCause {
    const message =
      err === UC_ERR_INSN_INVALID
        ? 'guest executed an invalid instruction'
        : `engine stopped: ${this.uc.strerror(err)}`;
    return { reason: 'fault', code: EXIT_FAULT, message };
  }

  private finish(stop: StopCause, atPc?: bigint): StopReason {
    const pc64 = atPc ?? this.pc64();
    const message = stop.message === undefined ? undefined : `${stop.message} at pc 0x${pc64.toString(16)}`;
    this.final = {
      ...stop,
      ...(message === undefined ? {} : { message }),
      pc: Number(pc64),
      ...(pc64 > MAX_SAFE ? { pc64 } : {}),
    };
    return this.final;
  }
}
