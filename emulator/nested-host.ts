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
 * Overcommit with several VMs: a shared host smaller than every guest's RAM besides the tables
 * splits what is left after each VM's table room (tableRoomFor) evenly: each VM's RAM reserves
 * guestFrames frames and keeps to that quota (mmu/vm/vm-object.ts), evicting its own pages through
 * its own reclaimer, so no guest takes the frames another needs and the same guests give the same
 * run. A shared frame (same-page merging) is its keeper's candidate; its eviction reaches every PTE
 * of every VM through the PV list (mmu/vm/reclaim.ts). Below `least` guest frames a VM (the
 * frames one instruction may touch) sharedHost refuses with a HostMemoryError (exit 2).
 *
 * Per-CPU PV lists: the pmap's PV pool has one free list per vCPU of every VM on the host (the
 * `cpus` option: the sum of the VMs' vCPU counts). Each VM claims a run of them as it is built, in
 * build order (claimCpus): VM 0's vCPUs take lists 0..n0-1, VM 1's the next n1, and so on, so each
 * vCPU's faults take PV entries from a list of its own, which refills from the one global ring.
 * The merge scanner, running between slices, uses the list of the vCPU that ran last.
 *
 * The host also knows its VMs' vmspaces (addVm, in build order: the index is the VM id), so that
 * reclaim can see a hold that another VM's device keeps on a shared frame.
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
import type { Vmspace } from '../mmu/vm/vmspace.js';
import { InvariantError } from '../mmu/checks.js';
import type { MachineEvent } from './events.js';

/** Default host memory beyond guest RAM: 1 MiB of page-table room, far more than a guest needs. */
export const DEFAULT_TABLE_ROOM = 1024 * 1024;

/** The table pool's reserve: frames kept aside for page tables. */
export const TABLE_RESERVE = 4;

export class HostMemoryError extends Error {
  override name = 'HostMemoryError';
}

/*
 * Frames for the nested tables that map all of one VM's guest RAM and its device windows, with
 * the pool's reserve: one leaf table per 2 MiB, one L2 per 1 GiB, the root and an L3, and a leaf,
 * L2 and L3 for each of up to four device windows elsewhere in the address space.
 */
export function tableRoomFor(memBytes: number): number {
  const leaves = Math.ceil(memBytes / (2 * 1024 * 1024));
  const dirs = Math.ceil(memBytes / 2 ** 30);
  return (leaves + dirs + 2 + 4 * 3 + TABLE_RESERVE) * PAGE_SIZE;
}

export interface NestedHostOptions {
  /** Host RAM in bytes (whole pages). */
  readonly bytes: number;
  /** Frames each VM's guest RAM gets when fewer than its pages (an overcommitted shared host). */
  readonly guestFrames?: number;
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
  /** Frames each VM's guest RAM reserves (its quota), or null: a frame for every page. */
  readonly guestFrames: number | null;
  private pool: TablePool | null = null;
  private readonly spaces: Vmspace[] = [];
  private cpusClaimed = 0;

  constructor(private readonly opts: NestedHostOptions) {
    this.mem = new HostMemory(opts.bytes);
    // the buffer is brand new; the frames set aside while building are summed up in host-init
    this.frames = new FrameAllocator(this.mem, undefined, { zeroed: true });
    this.pmap = new Pmap(this.mem, opts.sink, { pv: { cpus: opts.cpus ?? 1 } });
    this.reservoir = new Reservoir(this.frames, opts.sink, { layout: opts.hostLayout, seed: opts.seed });
    this.shares = new FrameShares(this.mem.frameCount, this.reservoir);
    this.inFlight = new PinnedSinceRetire(this.mem.frameCount);
    this.guestFrames = opts.guestFrames ?? null;
  }

  /** The id the next VM built on this host gets: its index in build order. */
  get nextVmId(): number {
    return this.spaces.length;
  }

  /** The first of `count` per-CPU PV lists for a VM's vCPUs (see the essay); throws past the pool's lists. */
  claimCpus(count: number): number {
    const base = this.cpusClaimed;
    if (base + count > this.pmap.pool.cpus)
      throw new InvariantError(
        `host: ${base + count} vCPUs claim per-CPU PV lists, the host was built with ${this.pmap.pool.cpus}`,
      );
    this.cpusClaimed += count;
    return base;
  }

  /** A VM built on this host (its vmspace has vmId nextVmId). */
  addVm(space: Vmspace): void {
    this.spaces.push(space);
  }

  /** The vmspaces of the host's VMs, in build order (index = VM id). */
  get vms(): readonly Vmspace[] {
    return this.spaces;
  }

  /** Whether a client of a VM other than `space` holds frame f (a device reading a shared page). */
  heldElsewhere(space: Vmspace, f: number): boolean {
    for (const s of this.spaces)
      if (s !== space) for (const c of s.clients()) for (const h of c.holds()) if (h.hfn === f) return true;
    return false;
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

export interface SharedHostOptions extends Omit<NestedHostOptions, 'bytes' | 'guestFrames'> {
  readonly hostBytes?: number;
  /** Guest frames a VM needs at least when overcommitted (default 16). */
  readonly leastGuestFrames?: number;
}

/**
 * One host for `count` VMs of `memBytes` of guest RAM each: `hostBytes` in all (default each VM's
 * RAM and DEFAULT_TABLE_ROOM). Less than every guest's RAM besides room for tables overcommits:
 * each VM gets an even share of what its tables leave (see the essay).
 */
export function sharedHost(count: number, memBytes: number, opts: SharedHostOptions): NestedHost {
  return sharedHostFor(new Array<number>(count).fill(memBytes), opts);
}

/**
 * One host for VMs of `mems[i]` bytes of guest RAM each (`run --vm "G --mem M"` gives each its
 * own). Overcommitted, the frames left after every VM's table room are split evenly, and a VM never
 * reserves more than its own pages (NestedVm caps the share), so a small guest may keep all of its
 * pages while a large one reclaims within its share.
 */
export function sharedHostFor(mems: readonly number[], opts: SharedHostOptions): NestedHost {
  const count = mems.length;
  const sum = mems.reduce((a, b) => a + b, 0);
  const bytes = opts.hostBytes ?? sum + count * DEFAULT_TABLE_ROOM;
  if (bytes % PAGE_SIZE !== 0)
    throw new HostMemoryError(`--host-mem ${bytes} is not a whole number of 4 KiB pages`);
  const { leastGuestFrames, hostBytes: _, ...given } = opts;
  const rest = { ...given, cpus: given.cpus ?? count }; // default: one vCPU per VM
  if (bytes >= sum + (TABLE_RESERVE + count) * PAGE_SIZE) return new NestedHost({ ...rest, bytes });
  const least = leastGuestFrames ?? 16;
  const tables = mems.reduce((a, m) => a + tableRoomFor(m), 0);
  const guestFrames = Math.floor((bytes - tables) / PAGE_SIZE / count);
  if (guestFrames < least) {
    const minimum = tables + count * least * PAGE_SIZE;
    const same = mems.every((m) => m === mems[0]);
    const what = same
      ? `${count} guest${count === 1 ? '' : 's'} of ${mems[0]} bytes: each needs ${tableRoomFor(mems[0])} bytes of page tables`
      : `${count} guests of ${mems.join(', ')} bytes: they need ${tables} bytes of page tables`;
    throw new HostMemoryError(
      `--host-mem ${bytes} is too small for ${what} and at least ${least} frames${same ? '' : ' each'} (try ${minimum})`,
    );
  }
  return new NestedHost({ ...rest, bytes, guestFrames });
}
