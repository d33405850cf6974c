/*
 * A small host (memory, frames, reservoir, pmap, table pool) with one vmspace on it, for the vm tests.
 */
import type { Hfn } from '../../../mmu/addr.js';
import { hpa } from '../../../mmu/addr.js';
import type { EventSink, MmuEvent } from '../../../mmu/events.js';
import { EventLog } from '../../../mmu/events.js';
import type { EntryFormat } from '../../../mmu/gpt/entry-format.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { Reservoir, type HostLayout } from '../../../mmu/host/reservoir.js';
import { TablePool } from '../../../mmu/host/table-pool.js';
import { VmObject } from '../../../mmu/vm/vm-object.js';
import { Vmspace } from '../../../mmu/vm/vmspace.js';
import type { DirtyLogMode } from '../../../mmu/vm/ring-harvest.js';

export interface VmRig {
  mem: HostMemory;
  frames: FrameAllocator;
  reservoir: Reservoir;
  pmap: Pmap;
  pool: TablePool;
  vms: Vmspace;
  log: EventLog<MmuEvent>;
  /** A memory object of `pages` pages (throws if the reservoir is short: tests size it). */
  ram(pages: number, name?: string): VmObject;
  /** An MMIO object of `pages` pages at the first aperture frame above host RAM (+ skip pages). */
  mmio(pages: number, skip?: number, name?: string): VmObject;
  /** Full sweeps of everything. */
  check(): void;
}

export function makeVmRig(
  format: EntryFormat,
  opts: {
    frames?: number;
    reserve?: number;
    trackDirty?: boolean;
    sink?: EventSink<MmuEvent>;
    /** Cap on the frames the reservoir may hand out (default: all). */
    reservoirLimit?: number;
    /** The reservoir's host layout and seed (default: scattered, seed 1). */
    layout?: HostLayout;
    seed?: number;
    /** The dirty log's mode (default 'bitmap'). */
    dirtyLog?: DirtyLogMode;
  } = {},
): VmRig {
  const mem = new HostMemory((opts.frames ?? 256) * 4096);
  const log = new EventLog<MmuEvent>();
  const sink = opts.sink ?? log;
  const frames = new FrameAllocator(mem);
  const reservoir = new Reservoir(frames, sink, {
    limit: opts.reservoirLimit,
    layout: opts.layout,
    seed: opts.seed,
  });
  const pmap = new Pmap(mem, sink);
  const pool = new TablePool(frames, pmap, { reserve: opts.reserve ?? 0, sink });
  const vms = new Vmspace({
    format,
    mem,
    pmap,
    pool,
    sink,
    trackDirty: opts.trackDirty,
    dirtyLog: opts.dirtyLog,
  });
  return {
    mem,
    frames,
    reservoir,
    pmap,
    pool,
    vms,
    log,
    ram(pages, name) {
      const o = VmObject.memory(reservoir, pages * 4096, { name, pmap, sink });
      if (!(o instanceof VmObject)) throw new Error(`rig: reservoir short (${o.free} free)`);
      return o;
    },
    mmio(pages, skip = 0, name) {
      return VmObject.mmio(hpa(mem.bytes + skip * 4096), pages * 4096, { name, sink });
    },
    check() {
      if (!vms.isDestroyed) vms.checkInvariants();
      pmap.checkInvariants(frames);
      pool.checkInvariants();
      reservoir.checkInvariants();
      frames.checkInvariants();
    },
  };
}

/** The frame of an object's page, taken from the reservoir if the page has none yet (tests size it). */
export function frameOf(obj: VmObject, off: number): Hfn {
  const f = obj.frameAt(off);
  if (f === -1) throw new Error(`rig: no frame for ${obj.name} at ${off}`);
  return f;
}
