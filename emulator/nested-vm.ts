/*
 * The nested-paging side of one Machine: host memory and everything that manages it, the vmspace,
 * and the objects mapped into it (DESIGN §1 and §3).
 *
 *   host RAM (one HostMemory ArrayBuffer, mapped into Unicorn once at host-physical 0)
 *     ├── frame allocator ── reservoir ── "ram" VmObject (guest RAM's frames set aside up front;
 *     │                                   each page takes one at its first nested fault)
 *     └──────────────────── table pool (page-table pages; steals leaf tables under pressure)
 *   pmap (PV heads, PV pools, descriptors) over all of it
 *   vmspace (format EPT / nPT / stage-2):
 *     "ram"  memory object at the architecture's RAM base, rwx
 *     one MMIO object per device page, mapped rw at the device's guest-physical window and backed
 *     by that device's Unicorn MMIO aperture above host RAM
 *   clients: "vcpu0" (the fill hook's), "devices" (page holds of device models)
 *
 * The image loader writes guest RAM through the "ram" object's frames (writeRam), as a VMM fills
 * guest memory before the first VM entry: the image's pages take their frames then and come in
 * populated, but no nested entry exists until the guest touches a page. Every other page takes a
 * zeroed frame from the reservoir at its first nested fault (demand allocation), so a guest that
 * touches three pages of 64 MiB uses three frames plus its tables. Which frame a page gets is the
 * host layout (mmu/host/reservoir.ts): scattered by a seed (the default), or identity.
 *
 * The host side (host RAM, allocator, reservoir, pmap, table pool) is a NestedHost (nested-host.ts):
 * this VM's own unless one is given, which several VMs then share; everything from the vmspace
 * down (GPT, clients, reclaimer, the "ram" object) is this VM's.
 *
 * Building emits one 'host-init' event with the counts, instead of one event per frame set aside.
 *
 * Host memory is guest RAM plus room for page tables: by default enough never to steal; a smaller
 * --host-mem squeezes the table pool so that stealing happens. Asking for less host memory than
 * guest RAM needs, or for so much guest RAM that it reaches a device window, is an input error
 * (HostMemoryError, exit 2); so is, where the caller asks (the CLI does), less than the least in
 * which every instruction can retire (hostMinimum, instruction-footprint.ts).
 *
 * Overcommit: the split. Below guest RAM plus the pool's reserve and a table, the split is fixed
 * when the machine is built: the table pool keeps tableRoomFor(memBytes) frames, room for every
 * node the nested tree of guest RAM and the device windows can have (a leaf per 2 MiB, an L2 per
 * GiB, root and L3, three per window for up to four windows; the machines have one or two), and
 * the reservoir sets the rest aside for guest pages. Reclaim gives a victim's frame back to the
 * reservoir, a freed table's frame stays in the pool (nothing reaps it), so neither side ever
 * waits for the other: every table can be backed at any time, the pool never steals, and a table
 * allocation never needs to evict a guest page (test/emulator/nested-vm-split.test.ts checks it
 * against the tree). Only a library caller that maps more objects than RAM and the devices can
 * outgrow the room; its fault is then 'exhausted' (exit 4), never a spin.
 */
import { PAGE_SIZE, pageAlignDown, pageOffset, gpa as toGpa, hpa as toHpa } from '../mmu/addr.js';
import { forEachPage } from '../mmu/page-pieces.js';
import type { EventSink } from '../mmu/events.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';
import { FORMATS } from '../mmu/gpt/formats.js';
import type { FrameAllocator } from '../mmu/host/frame-allocator.js';
import type { HostMemory } from '../mmu/host/host-memory.js';
import type { Pmap } from '../mmu/host/pmap.js';
import type { HostLayout, Reservoir } from '../mmu/host/reservoir.js';
import type { PinnedSinceRetire } from '../mmu/host/pinned-since-retire.js';
import { makePolicy, type PolicyName, type ReclaimHook } from '../mmu/host/replacement-policy.js';
import type { TablePool } from '../mmu/host/table-pool.js';
import { PROT_ALL, PROT_READ, PROT_WRITE } from '../mmu/prot.js';
import type { VmClient } from '../mmu/vm/vm-client.js';
import { Reclaimer } from '../mmu/vm/reclaim.js';
import { VmObject } from '../mmu/vm/vm-object.js';
import { Vmspace } from '../mmu/vm/vmspace.js';
import type { DirtyLogMode } from '../mmu/vm/ring-harvest.js';
import { LEAF_LEVEL } from '../mmu/gpt/gpt-geometry.js';
import { subtree } from '../mmu/gpt/gpt-node.js';
import type { Arch } from './arch.js';
import { hostMinimum, instructionFootprint, minimumText, type HostMinimum } from './instruction-footprint.js';
import type { MachineEvent } from './events.js';
import {
  DEFAULT_TABLE_ROOM,
  HostMemoryError,
  NestedHost,
  TABLE_RESERVE,
  tableRoomFor,
} from './nested-host.js';

export type { FormatName };

export { DEFAULT_TABLE_ROOM, HostMemoryError, tableRoomFor } from './nested-host.js';

/** Guest RAM is mapped in regions of this size (see ramRegions). */
export const RAM_REGION = 1024 * 1024;

export const DEFAULT_FORMAT: Record<Arch, FormatName> = { x86_64: 'ept', arm64: 's2' };

/**
 * Guest frames an overcommitted host keeps at least: 16, and never fewer than the pages one
 * instruction may touch (instruction-footprint.ts), or reclaim would evict what the instruction in
 * flight needs and it could never retire.
 */
export const MIN_GUEST_FRAMES = 16;

export function minGuestFrames(arch: Arch): number {
  return Math.max(MIN_GUEST_FRAMES, instructionFootprint(arch).pages);
}

/**
 * How many frames guest RAM gets (every page a frame, or fewer: overcommit), or why the host is
 * too small. Room beyond guest RAM for at least the pool's reserve and one table keeps every page
 * its frame (a smaller room only squeezes the tables, which are then stolen); less than that
 * overcommits: the tables get tableRoomFor(memBytes) and the guest the rest, which reclaim shares.
 */
function guestFramesFor(memBytes: number, hostBytes: number, least: number): number {
  const pages = memBytes / PAGE_SIZE;
  if (hostBytes % PAGE_SIZE !== 0)
    throw new HostMemoryError(`--host-mem ${hostBytes} is not a whole number of 4 KiB pages`);
  if (hostBytes >= memBytes + (TABLE_RESERVE + 1) * PAGE_SIZE) return pages;
  const guest = (hostBytes - tableRoomFor(memBytes)) / PAGE_SIZE;
  if (guest >= least) return guest;
  const minimum = tableRoomFor(memBytes) + least * PAGE_SIZE;
  throw new HostMemoryError(
    `--host-mem ${hostBytes} is too small: the page tables of ${memBytes} bytes of guest RAM need ${tableRoomFor(memBytes)} bytes and reclaim at least ${least} frames (try ${minimum})`,
  );
}

export interface NestedVmOptions {
  readonly arch: Arch;
  readonly ramBase: number;
  readonly memBytes: number;
  readonly format?: FormatName;
  /** Total host memory (guest RAM + page tables); default memBytes + DEFAULT_TABLE_ROOM. */
  readonly hostBytes?: number;
  /** A host shared with other VMs (nested-host.ts); given, hostBytes, hostLayout and seed are its. */
  readonly host?: NestedHost;
  readonly dirtyTracking?: boolean;
  /** The dirty log's mode (default 'bitmap'; 'ring': PML logs and a dirty ring). */
  readonly dirtyLog?: DirtyLogMode;
  /** Which host frame a guest page gets: 'scattered' by `seed` (default), or 'identity'. */
  readonly hostLayout?: HostLayout;
  readonly seed?: number;
  readonly sink?: EventSink<MachineEvent>;
  /** vCPUs (each its own per-CPU PV free list, claimed on the host: nested-host.ts; default 1). */
  readonly cpus?: number;
  /** Replacement policy when host memory is overcommitted (default clock). */
  readonly reclaim?: PolicyName;
  /** A script's own policy (overrides `reclaim`). */
  readonly reclaimHook?: ReclaimHook;
}

/** Reclaim's figures (`run`'s summary and the --json key `reclaim`). */
export interface ReclaimStats {
  policy: string;
  evictions: number;
  swapOuts: number;
  swapIns: number;
  cleanDrops: number;
  /** Host frames in use (guest pages and page tables), and host RAM's frames. */
  framesInUse: number;
  framesTotal: number;
}

/** Host frames in use (`run`'s summary and --json `hostFrames`). */
export interface HostFrames {
  /** guest + tables */
  readonly inUse: number;
  /** host RAM frames */
  readonly total: number;
  /** guest pages that have a host frame */
  readonly guest: number;
  /** frames the table pool holds (tables, its cache and its reserve) */
  readonly tables: number;
}

/** A device page and where its MMIO aperture sits in host-physical space. */
export interface DeviceAperture {
  readonly name: string;
  readonly gpa: number;
  readonly size: number;
  readonly hpa: number;
}

export class NestedVm {
  readonly format: FormatName;
  readonly mem: HostMemory;
  readonly frames: FrameAllocator;
  readonly pmap: Pmap;
  readonly pool: TablePool;
  /** What the vCPU's instruction in flight has filled: no steal or eviction may take it. */
  readonly inFlight: PinnedSinceRetire;
  readonly reservoir: Reservoir;
  readonly vmspace: Vmspace;
  readonly ram: VmObject;
  readonly vcpuClient: VmClient;
  readonly deviceClient: VmClient;
  readonly reclaimer: Reclaimer;
  /** The host this VM runs on: its own, or one that several VMs share (nested-host.ts). */
  readonly host: NestedHost;
  /** Whether the host was given (shared with other VMs) rather than built for this VM alone. */
  readonly sharedHost: boolean;
  /** Guest RAM has fewer frames than pages (reclaim shares them); the tables then have all their room. */
  readonly overcommitted: boolean;
  /** The host's per-CPU PV list of this VM's vCPU 0; vCPU i uses pvCpuBase + i (nested-host.ts). */
  readonly pvCpuBase: number;

  constructor(readonly opts: NestedVmOptions) {
    const { memBytes } = opts;
    this.format = opts.format ?? DEFAULT_FORMAT[opts.arch];
    const hostBytes = opts.host?.mem.bytes ?? opts.hostBytes ?? memBytes + DEFAULT_TABLE_ROOM;
    this.sharedHost = opts.host !== undefined;
    // a shared host gives each VM its share (sharedHost sizes it); one's own may overcommit
    const guestFrames = this.sharedHost
      ? Math.min(opts.host!.guestFrames ?? Infinity, memBytes / PAGE_SIZE)
      : guestFramesFor(memBytes, hostBytes, minGuestFrames(opts.arch));
    this.overcommitted = guestFrames < memBytes / PAGE_SIZE;
    const sink = opts.sink;
    const host = (this.host = opts.host ?? new NestedHost({ ...opts, bytes: hostBytes }));
    this.pvCpuBase = host.claimCpus(opts.cpus ?? 1);
    this.mem = host.mem;
    this.frames = host.frames;
    this.pmap = host.pmap;
    this.reservoir = host.reservoir;
    const ram = VmObject.memory(this.reservoir, memBytes, {
      name: 'ram',
      sink,
      pmap: this.pmap,
      frames: guestFrames,
      shares: host.shares,
      vm: host.nextVmId,
      quota: this.sharedHost && this.overcommitted,
    });
    if (!(ram instanceof VmObject))
      throw new HostMemoryError(`host memory cannot hold ${memBytes} bytes of guest RAM`);
    this.ram = ram;
    // The vCPU's instruction in flight needs what it has filled: stealing that would livelock.
    this.inFlight = host.inFlight;
    this.pool = host.tablePool();
    if (sink !== undefined) this.reportHostInit(sink);
    this.vmspace = new Vmspace({
      format: FORMATS[this.format],
      mem: this.mem,
      pmap: this.pmap,
      pool: this.pool,
      sink,
      trackDirty: opts.dirtyTracking ?? true,
      dirtyLog: opts.dirtyLog ?? 'bitmap',
      vmId: host.nextVmId,
    });
    host.addVm(this.vmspace);
    this.reclaimer = this.makeReclaimer();
    // Only an overcommitted host ever evicts (the reservoir runs dry only with fewer frames than
    // pages); elsewhere a page's first frame skips the pager's bookkeeping (measured: about a tenth
    // of a nested fault's cost, bench/README.md).
    if (this.overcommitted) ram.attachPager(this.reclaimer);
    for (const r of this.ramRegions()) this.mapRam(r.gpa);
    this.vcpuClient = this.vmspace.createClient('vcpu0');
    this.deviceClient = this.vmspace.createClient('devices');
  }

  /* This VM's reclaimer: its own policy and swap store, over the host's frames and shares. */
  private makeReclaimer(): Reclaimer {
    const { opts, host, vmspace: space } = this;
    const r = new Reclaimer({
      space,
      policy: makePolicy(opts.reclaim ?? 'clock', this.mem.frameCount, {
        seed: opts.seed,
        hook: opts.reclaimHook,
      }),
      source: { give: (f) => this.reservoir.give(f) },
      sink: opts.sink,
      shares: host.shares,
      heldElsewhere: (f) => host.heldElsewhere(space, f),
    });
    r.exclude = (f) => this.inFlight.has(f); // in flight: no more a victim than a table
    return r;
  }

  /* The one host-init event, then every later allocation as its own event. */
  private reportHostInit(sink: NonNullable<NestedVmOptions['sink']>): void {
    if (sink.enabled) sink.emit(this.hostInit());
    this.frames.reportTo(sink);
  }

  /** One byte per page of guest RAM: 1 where the page is swapped out (a view: do not keep it). */
  ramSwapped(): Uint8Array {
    return this.reclaimer.swappedPages(this.ram.pagerIndex);
  }

  /** What reclaim has done so far, and how full host memory is. */
  reclaimStats(): ReclaimStats {
    return {
      policy: this.reclaimer.policy.name,
      ...this.reclaimer.counters,
      framesInUse: this.hostFrames().inUse,
      framesTotal: this.frames.totalCount,
    };
  }

  /** Host frames in use: guest pages that have a frame, and every frame the table pool holds. */
  hostFrames(): HostFrames {
    const guest = this.reservoir.inUse;
    const s = this.pool.stats;
    const tables = s.inUse + s.cached + s.reserve;
    return { inUse: guest + tables, total: this.frames.totalCount, guest, tables };
  }

  private hostInit(): MachineEvent {
    return {
      type: 'host-init',
      frames: this.frames.totalCount,
      reserved: this.reservoir.reservedCount,
      tableReserve: this.pool.stats.reserve,
      free: this.frames.freeCount,
      layout: this.reservoir.layout,
      seed: this.reservoir.seed,
    };
  }

  /**
   * Guest RAM is mapped as regions of RAM_REGION bytes (one mapping each, all of the one "ram"
   * object), so that a lab or the TUI can unmap one region and map it back. The NestedVm keeps its
   * own reference on the object, so an unmapped region's frames stay the object's.
   */
  ramRegions(): { gpa: number; len: number }[] {
    const out: { gpa: number; len: number }[] = [];
    for (let off = 0; off < this.opts.memBytes; off += RAM_REGION) {
      out.push({ gpa: this.opts.ramBase + off, len: Math.min(RAM_REGION, this.opts.memBytes - off) });
    }
    return out;
  }

  /** The RAM region holding gpa, or null outside guest RAM. */
  ramRegionOf(gpa: number): { gpa: number; len: number } | null {
    const off = gpa - this.opts.ramBase;
    if (off < 0 || off >= this.opts.memBytes) return null;
    const start = off - (off % RAM_REGION);
    return { gpa: this.opts.ramBase + start, len: Math.min(RAM_REGION, this.opts.memBytes - start) };
  }

  /** (Re)map the RAM region holding gpa, rwx; false when it is mapped already or not RAM. */
  mapRam(gpa: number): boolean {
    const r = this.ramRegionOf(gpa);
    if (r === null) return false;
    const res = this.vmspace.map(this.ram, toGpa(r.gpa), r.len, r.gpa - this.opts.ramBase, PROT_ALL);
    if (res.kind === 'overlap') return false;
    if (res.kind !== 'ok') throw new Error(`vmspace: cannot map guest RAM at ${r.gpa} (${res.kind})`);
    return true;
  }

  /** Unmap the RAM region holding gpa; false when it is not mapped. */
  unmapRam(gpa: number): boolean {
    const r = this.ramRegionOf(gpa);
    return r !== null && this.vmspace.unmap(toGpa(r.gpa), r.len).kind === 'ok';
  }

  /**
   * The VMM writing guest RAM itself, through the memory object's frames, as a loader does. No
   * GPT entry is made, so the guest's first touch of each page is still a nested fault, exactly as
   * on a real hypervisor that fills guest memory before the first VM entry. Each page written
   * takes its host frame here. False when [gpa, gpa + bytes.length) is not all guest RAM (or no
   * frame is left for it).
   */
  writeRam(gpa: number, bytes: Uint8Array): boolean {
    const off = gpa - this.opts.ramBase;
    if (off < 0 || off + bytes.length > this.opts.memBytes) return false;
    const short = forEachPage(off, bytes.length, (at, done, n) => {
      const frame = this.ram.frameAt(pageAlignDown(at)); // the page takes its frame now, populated
      if (frame === -1) return true;
      this.mem.u8.set(bytes.subarray(done, done + n), frame * PAGE_SIZE + pageOffset(at));
      return undefined;
    });
    return short === undefined;
  }

  /** The least host memory in which every instruction of this machine's guest can retire. */
  hostMinimum(): HostMinimum {
    let interior = 0;
    let leafTables = 0;
    for (const node of subtree(this.vmspace.gpt.tables.root)) {
      if (node.level === LEAF_LEVEL) leafTables++;
      else interior++;
    }
    return hostMinimum(this.opts.arch, this.opts.memBytes, { interior, leafTables }, TABLE_RESERVE + 1);
  }

  /** Throw HostMemoryError (exit 2) when host memory is below hostMinimum() (call once devices are mapped). */
  refuseBelowMinimum(): void {
    if (this.overcommitted) return; // sized by guestFramesFor: all table room, the footprint's frames
    if (this.sharedHost) return; // sized by sharedHost for every guest's RAM and tables
    const m = this.hostMinimum();
    if (this.mem.bytes < m.bytes)
      throw new HostMemoryError(minimumText(this.mem.bytes, this.opts.memBytes, m));
  }

  /** Map each device page as an MMIO object routed to its aperture (device memory: rw, never x). */
  mapDevices(apertures: readonly DeviceAperture[]): void {
    for (const a of apertures) {
      const obj = VmObject.mmio(toHpa(a.hpa), a.size, { name: a.name, sink: this.opts.sink });
      const r = this.vmspace.map(obj, toGpa(a.gpa), a.size, 0, PROT_READ | PROT_WRITE);
      if (r.kind === 'overlap' && this.ramRegionOf(a.gpa) !== null) {
        const most = Math.floor((a.gpa - this.opts.ramBase) / RAM_REGION);
        throw new HostMemoryError(
          `guest RAM of ${this.opts.memBytes} bytes reaches the ${a.name} device at guest-physical 0x${a.gpa.toString(16)}: give --mem ${most}M or less`,
        );
      }
      if (r.kind !== 'ok') throw new Error(`vmspace: cannot map device ${a.name} (${r.kind})`);
      obj.release();
    }
  }
}
