/*
 * The nested-paging side of one Machine: host memory and everything that manages it, the vmspace,
 * and the objects mapped into it (DESIGN §1 and §3).
 *
 *   host RAM (one HostMemory ArrayBuffer, mapped into Unicorn once at host-physical 0)
 *     ├── frame allocator ── reservoir ── "ram" VmObject (every guest RAM frame, reserved up front)
 *     └──────────────────── table pool (page-table pages; steals leaf tables under pressure)
 *   pmap (PV heads, PV pools, descriptors) over all of it
 *   vmspace (format EPT / nPT / stage-2):
 *     "ram"  memory object at the architecture's RAM base, rwx
 *     one MMIO object per device page, mapped rw at the device's guest-physical window and backed
 *     by that device's Unicorn MMIO aperture above host RAM
 *   clients: "vcpu0" (the fill hook's), "devices" (page holds of device models)
 *
 * The image loader writes guest RAM through the "ram" object's frames (writeRam), as a VMM fills
 * guest memory before the first VM entry: no nested entry exists until the guest touches a page.
 *
 * Host memory is guest RAM plus room for page tables: by default enough never to steal; a smaller
 * --host-mem squeezes the table pool so that stealing happens. Asking for less host memory than
 * guest RAM needs, or for so much guest RAM that it reaches a device window, is an input error
 * (HostMemoryError, exit 2); so is, where the caller asks (the CLI does), less than the least in
 * which every instruction can retire (hostMinimum, instruction-footprint.ts).
 */
import { PAGE_SIZE, pageAlignDown, pageOffset, gpa as toGpa, hpa as toHpa } from '../mmu/addr.js';
import { forEachPage } from '../mmu/page-pieces.js';
import type { EventSink } from '../mmu/events.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';
import { FORMATS } from '../mmu/gpt/formats.js';
import { FrameAllocator } from '../mmu/host/frame-allocator.js';
import { HostMemory } from '../mmu/host/host-memory.js';
import { Pmap } from '../mmu/host/pmap.js';
import { Reservoir } from '../mmu/host/reservoir.js';
import { PinnedSinceRetire } from '../mmu/host/pinned-since-retire.js';
import { TablePool } from '../mmu/host/table-pool.js';
import { PROT_ALL, PROT_READ, PROT_WRITE } from '../mmu/prot.js';
import type { VmClient } from '../mmu/vm/vm-client.js';
import { VmObject } from '../mmu/vm/vm-object.js';
import { Vmspace } from '../mmu/vm/vmspace.js';
import { LEAF_LEVEL } from '../mmu/gpt/gpt-geometry.js';
import { subtree } from '../mmu/gpt/gpt-node.js';
import type { Arch } from './arch.js';
import { hostMinimum, minimumText, type HostMinimum } from './instruction-footprint.js';
import type { MachineEvent } from './events.js';

export type { FormatName };

/** Default host memory beyond guest RAM: 1 MiB of page-table room, far more than a guest needs. */
export const DEFAULT_TABLE_ROOM = 1024 * 1024;

/** The table pool's reserve: frames kept aside for page tables. */
const TABLE_RESERVE = 4;

/** Guest RAM is mapped in regions of this size (see ramRegions). */
export const RAM_REGION = 1024 * 1024;

export const DEFAULT_FORMAT: Record<Arch, FormatName> = { x86_64: 'ept', arm64: 's2' };

export class HostMemoryError extends Error {
  override name = 'HostMemoryError';
}

export interface NestedVmOptions {
  readonly arch: Arch;
  readonly ramBase: number;
  readonly memBytes: number;
  readonly format?: FormatName;
  /** Total host memory (guest RAM + page tables); default memBytes + DEFAULT_TABLE_ROOM. */
  readonly hostBytes?: number;
  readonly dirtyTracking?: boolean;
  readonly sink?: EventSink<MachineEvent>;
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

  constructor(readonly opts: NestedVmOptions) {
    const { memBytes } = opts;
    this.format = opts.format ?? DEFAULT_FORMAT[opts.arch];
    const hostBytes = opts.hostBytes ?? memBytes + DEFAULT_TABLE_ROOM;
    const minimum = memBytes + (TABLE_RESERVE + 1) * PAGE_SIZE;
    if (hostBytes % PAGE_SIZE !== 0 || hostBytes < minimum) {
      throw new HostMemoryError(
        `--host-mem ${hostBytes} is too small: guest RAM needs ${memBytes} bytes plus at least ${minimum - memBytes} for page tables (try ${minimum})`,
      );
    }
    const sink = opts.sink;
    this.mem = new HostMemory(hostBytes);
    this.frames = new FrameAllocator(this.mem, sink, { zeroed: true }); // the buffer is brand new
    this.pmap = new Pmap(this.mem, sink);
    this.reservoir = new Reservoir(this.frames, sink);
    const ram = VmObject.memory(this.reservoir, memBytes, { name: 'ram', sink, pmap: this.pmap });
    if (!(ram instanceof VmObject))
      throw new HostMemoryError(`host memory cannot hold ${memBytes} bytes of guest RAM`);
    this.ram = ram;
    // The vCPU's instruction in flight needs what it has filled: stealing that would livelock.
    this.inFlight = new PinnedSinceRetire(this.mem.frameCount);
    this.pool = new TablePool(this.frames, this.pmap, {
      reserve: TABLE_RESERVE,
      inFlight: this.inFlight,
      sink,
    });
    this.vmspace = new Vmspace({
      format: FORMATS[this.format],
      mem: this.mem,
      pmap: this.pmap,
      pool: this.pool,
      sink,
      trackDirty: opts.dirtyTracking ?? true,
    });
    for (const r of this.ramRegions()) this.mapRam(r.gpa);
    this.vcpuClient = this.vmspace.createClient('vcpu0');
    this.deviceClient = this.vmspace.createClient('devices');
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
   * on a real hypervisor that fills guest memory before the first VM entry. False when
   * [gpa, gpa + bytes.length) is not all guest RAM.
   */
  writeRam(gpa: number, bytes: Uint8Array): boolean {
    const off = gpa - this.opts.ramBase;
    if (off < 0 || off + bytes.length > this.opts.memBytes) return false;
    forEachPage(off, bytes.length, (at, done, n) => {
      const frame = this.ram.frameAt(pageAlignDown(at));
      this.mem.u8.set(bytes.subarray(done, done + n), frame * PAGE_SIZE + pageOffset(at));
    });
    return true;
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
