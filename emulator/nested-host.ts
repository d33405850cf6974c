/*
 * The host side of nested paging: host RAM and everything that manages it, which one VM or several
 * share (DESIGN §1 and §3).
 *
 *   host RAM (one HostMemory ArrayBuffer; every VM's engine maps it at host-physical 0)
 *     ├── frame allocator ── reservoir (each VM's guest RAM set aside in it, a frame per page on demand)
 *     └──────────────────── table pool (every VM's nested page tables; steals leaf tables under pressure)
 *   pmap (PV heads, PV pools, descriptors) over all of it: a frame's PV list may name PTEs of several VMs
 *   frame shares (mmu/vm/frame-shares.ts): the frames that same-page merging made shared
 *   in flight (mmu/host/pinned-since-retire.ts): what the instruction running now has filled
 *
 * A NestedVm (nested-vm.ts) builds its own host when it is given none, which is what a Machine built
 * with defaults does. `nestvm run a.elf b.elf` builds one host with sharedHost() and gives it to
 * every Machine: each VM then has its own vmspace, GPT, clients and reclaimer over the one host.
 * The VMs run one at a time (the CLI's round-robin over slices), so one in-flight set serves them
 * all: it is emptied at every slice boundary.
 *
 * The table pool is made when the first VM has set its guest RAM aside (tablePool()), so that a
 * host of one VM takes its frames in the same order as before hosts could be shared: the same
 * seed gives the same frames, and the same trace.
 *
 * Several VMs do not overcommit yet: a shared host must hold every guest's RAM besides the tables
 * (sharedHost refuses less with a HostMemoryError, exit 2).
 */
import { PAGE_SIZE } from '../mmu/addr.js';
import type { EventSink } from '../mmu/events.js';
import { FrameAllocator } from '../mmu/host/frame-allocator.js';
import { HostMemory } from '../mmu/host/host-memory.js';
import { PinnedSinceRetire } from '../mmu/host/pinned-since-retire.js';
import { Pmap } from '../mmu/host/pmap.js';
import { Reservoir, type HostLayout } from '../mmu/host/reservoir.js';
import { TablePool } from '../mmu/host/table-pool.js';
import { FrameShares } from '../mmu/vm/frame-shares.js';
import type { MachineEvent } from './events.js';

/** Default host memory beyond guest RAM: 1 MiB of page-table room, far more than a guest needs. */
export const DEFAULT_TABLE_ROOM = 1024 * 1024;

/** The table pool's reserve: frames kept aside for page tables. */
export const TABLE_RESERVE = 4;

export class HostMemoryError extends Error {
  override name = 'HostMemoryError';
}

export interface NestedHostOptions {
  /** Host RAM in bytes (whole pages). */
  readonly bytes: number;
  /** Which host frame a guest page gets: 'scattered' by `seed` (default), or 'identity'. */
  readonly hostLayout?: HostLayout;
  readonly seed?: number;
  readonly sink?: EventSink<MachineEvent>;
  /** vCPUs whose faults take PV entries: one per-CPU free list each (default 1). */
  readonly cpus?: number;
}

export class NestedHost {
  readonly mem: HostMemory;
  readonly frames: FrameAllocator;
  readonly pmap: Pmap;
  readonly reservoir: Reservoir;
  readonly shares: FrameShares;
  /** What the running vCPU's instruction in flight has filled: no steal or eviction may take it. */
  readonly inFlight: PinnedSinceRetire;
  private pool: TablePool | null = null;

  constructor(private readonly opts: NestedHostOptions) {
    this.mem = new HostMemory(opts.bytes);
    // the buffer is brand new; the frames set aside while building are summed up in host-init
    this.frames = new FrameAllocator(this.mem, undefined, { zeroed: true });
    this.pmap = new Pmap(this.mem, opts.sink, { pv: { cpus: opts.cpus ?? 1 } });
    this.reservoir = new Reservoir(this.frames, opts.sink, { layout: opts.hostLayout, seed: opts.seed });
    this.shares = new FrameShares(this.mem.frameCount, this.reservoir);
    this.inFlight = new PinnedSinceRetire(this.mem.frameCount);
  }

  /** The table pool, made at the first call (after the first VM set its guest RAM aside). */
  tablePool(): TablePool {
    this.pool ??= new TablePool(this.frames, this.pmap, {
      reserve: TABLE_RESERVE,
      inFlight: this.inFlight,
      sink: this.opts.sink,
    });
    return this.pool;
  }
}

/**
 * One host for `count` VMs of `memBytes` of guest RAM each: `hostBytes` in all (default each VM's
 * RAM and DEFAULT_TABLE_ROOM), which must hold every guest's RAM besides room for tables.
 */
export function sharedHost(
  count: number,
  memBytes: number,
  opts: Omit<NestedHostOptions, 'bytes'> & { readonly hostBytes?: number },
): NestedHost {
  const bytes = opts.hostBytes ?? count * (memBytes + DEFAULT_TABLE_ROOM);
  const least = count * memBytes + (TABLE_RESERVE + count) * PAGE_SIZE;
  if (bytes % PAGE_SIZE !== 0)
    throw new HostMemoryError(`--host-mem ${bytes} is not a whole number of 4 KiB pages`);
  if (bytes < least)
    throw new HostMemoryError(
      `--host-mem ${bytes} is too small for ${count} guest${count === 1 ? '' : 's'} of ${memBytes} bytes: a shared host (several guests, or --merge) does not overcommit yet (give at least ${least})`,
    );
  return new NestedHost({ ...opts, bytes });
}
