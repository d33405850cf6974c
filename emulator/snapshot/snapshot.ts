/*
 * A snapshot: the whole guest at one instruction boundary, held in memory, with nothing of the
 * host in it.
 *
 *   state   every vCPU's registers, power state and counts, the round-robin's position, the
 *           devices' registers, the instruction count and the console so far (guest-state.ts)
 *   pages   guest RAM by page index, ascending: every page whose content is not all zeros, wherever
 *           it lives now (its frame, or the swap store under overcommit; guest-pages.ts). A page
 *           left out reads as zeros, which is what every page never touched holds.
 *
 * A diff snapshot (takeDiffSnapshot) keeps, instead, exactly the pages written since its base was
 * taken, zeros or not, and names its base by the base's id (snapshot-file.ts's snapshotId). It
 * means nothing alone: mergeDiff lays it over its base and gives a full snapshot back.
 *
 * No frame number, nested entry, format, host layout or host memory size is kept, so a snapshot
 * restores into a Machine built with any of them (of the same architecture, guest RAM size, vCPU
 * count and quantum; restoreSnapshot checks the count and the quantum before it writes a page).
 * Restoring writes every page of guest RAM through writeGuestPage (the pages left out as zeros,
 * which costs nothing for a page that has no frame), then takes over the guest state, which drops
 * the engine's TLB and translated code. It marks no page dirty: the guest wrote nothing.
 *
 * Invariants: `pages` is strictly ascending and inside guest RAM; `data` holds PAGE_SIZE bytes per
 * entry of `pages`, in the same order; taking a snapshot changes nothing the guest can see and no
 * nested entry (it reads with readGuestPage).
 */
import { createHash } from 'node:crypto';
import { PAGE_SIZE, gpa as toGpa } from '../../mmu/addr.js';
import type { Arch } from '../arch.js';
import type { Machine } from '../machine.js';
import type { NestedVm } from '../nested-vm.js';
import type { GuestState } from './guest-state.js';
import { isZeroPage, readGuestPage, writeGuestPage } from './guest-pages.js';

export interface Snapshot {
  readonly arch: Arch;
  /** Bytes of guest RAM. */
  readonly memBytes: number;
  readonly state: GuestState;
  /** Page indices of guest RAM kept, ascending. */
  readonly pages: Uint32Array;
  /** PAGE_SIZE bytes per kept page, in the order of `pages`. */
  readonly data: Uint8Array;
  /** A diff snapshot's base (its snapshotId); null for a full snapshot. */
  readonly base: string | null;
}

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

function nestedOf(machine: Machine, action: string): NestedVm {
  if (machine.vm === null) throw new SnapshotError(`${action} needs the nested paging layer`);
  return machine.vm;
}

/* Page indices and their contents as a snapshot keeps them: one array each. */
function packed(
  kept: readonly number[],
  chunks: readonly Uint8Array[],
): { pages: Uint32Array; data: Uint8Array } {
  const data = new Uint8Array(kept.length * PAGE_SIZE);
  chunks.forEach((c, i) => data.set(c, i * PAGE_SIZE));
  return { pages: Uint32Array.from(kept), data };
}

/* Pages of guest RAM chosen by `keep` (index, content), read without side effects. */
function collect(machine: Machine, keep: (page: number, bytes: Uint8Array) => boolean): Snapshot {
  const vm = nestedOf(machine, 'a snapshot');
  const state = machine.guestState();
  const ramBase = vm.opts.ramBase;
  const count = machine.memBytes / PAGE_SIZE;
  const kept: number[] = [];
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(PAGE_SIZE);
  for (let p = 0; p < count; p++) {
    readGuestPage(vm, toGpa(ramBase + p * PAGE_SIZE), buf);
    if (!keep(p, buf)) continue;
    kept.push(p);
    chunks.push(buf.slice());
  }
  return { arch: machine.arch, memBytes: machine.memBytes, state, ...packed(kept, chunks), base: null };
}

/**
 * SHA-256 of guest RAM's content (hex), wherever each page lives, without side effects: over the
 * index (32-bit little-endian) and bytes of every page that is not all zeros. Two machines whose
 * guest RAM holds the same bytes have the same digest, whatever their frames; it works on a
 * stopped guest too.
 */
export function ramDigest(machine: Machine): string {
  const vm = nestedOf(machine, 'a RAM digest');
  const hash = createHash('sha256');
  const buf = new Uint8Array(PAGE_SIZE);
  const index = new Uint8Array(4);
  for (let p = 0; p < machine.memBytes / PAGE_SIZE; p++) {
    readGuestPage(vm, toGpa(vm.opts.ramBase + p * PAGE_SIZE), buf);
    if (isZeroPage(buf)) continue;
    new DataView(index.buffer).setUint32(0, p, true);
    hash.update(index).update(buf);
  }
  return hash.digest('hex');
}

/** The whole guest now, between slices: every non-zero page of guest RAM and the guest state. */
export function takeSnapshot(machine: Machine): Snapshot {
  return collect(machine, (_p, bytes) => !isZeroPage(bytes));
}

/**
 * A diff against the snapshot whose id is `baseId`: the guest state now and the pages whose bit is
 * set in `dirty` (bit i of byte i >> 3 for page i of guest RAM, Machine.harvestDirty's layout).
 */
export function takeDiffSnapshot(machine: Machine, baseId: string, dirty: Uint8Array): Snapshot {
  const s = collect(machine, (p) => ((dirty[p >>> 3] >>> (p & 7)) & 1) === 1);
  return { ...s, base: baseId };
}

/**
 * The pages written since `base` was taken, ORed into `dirty` (harvestDirty's layout), which the
 * caller keeps from one call to the next (each call harvests, so it also clears the log): the
 * dirty log's pages, and on an overcommitted host also every page whose content differs from
 * base's, because an eviction takes a page's Dirty state with its frame (the frame's attributes
 * are wiped when it goes back, mmu/vm/reclaim.ts) and the log alone could miss it.
 */
export function dirtySince(machine: Machine, base: Snapshot, dirty: Uint8Array): Uint8Array {
  const { bitmap } = machine.harvestDirty();
  bitmap.forEach((b, i) => (dirty[i] |= b));
  const vm = nestedOf(machine, 'a diff');
  if (!vm.overcommitted) return dirty;
  const buf = new Uint8Array(PAGE_SIZE);
  for (let p = 0; p < machine.memBytes / PAGE_SIZE; p++) {
    readGuestPage(vm, toGpa(vm.opts.ramBase + p * PAGE_SIZE), buf);
    if (!Buffer.from(buf.buffer).equals(pageOf(base, p))) dirty[p >>> 3] |= 1 << (p & 7);
  }
  return dirty;
}

/** The content of page `p` as the snapshot has it (zeros when left out), a view or a fresh zero page. */
export function pageOf(s: Snapshot, p: number): Uint8Array {
  const i = findPage(s.pages, p);
  return i < 0 ? new Uint8Array(PAGE_SIZE) : s.data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
}

/* Binary search of a strictly ascending array: the index of p, or -1. */
function findPage(pages: Uint32Array, p: number): number {
  let lo = 0;
  let hi = pages.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (pages[mid] === p) return mid;
    if (pages[mid] < p) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** `diff` laid over `base` (whose id the caller checked): a full snapshot at the diff's point. */
export function mergeDiff(base: Snapshot, diff: Snapshot): Snapshot {
  if (base.base !== null) throw new SnapshotError('the base of a diff must be a full snapshot');
  if (base.arch !== diff.arch || base.memBytes !== diff.memBytes)
    throw new SnapshotError('the diff and its base are of different machines');
  const all = new Set<number>([...base.pages, ...diff.pages]);
  const kept: number[] = [];
  const chunks: Uint8Array[] = [];
  for (const p of [...all].sort((a, b) => a - b)) {
    const bytes = findPage(diff.pages, p) >= 0 ? pageOf(diff, p) : pageOf(base, p);
    if (isZeroPage(bytes)) continue;
    kept.push(p);
    chunks.push(bytes);
  }
  return { ...diff, ...packed(kept, chunks), base: null };
}

/** Make `machine` the guest of a full snapshot: all of guest RAM, then the guest state. */
export function restoreSnapshot(machine: Machine, s: Snapshot): void {
  const vm = nestedOf(machine, 'restoring a snapshot');
  if (s.base !== null)
    throw new SnapshotError('a diff snapshot restores only laid over its base (mergeDiff)');
  if (s.arch !== machine.arch)
    throw new SnapshotError(`the snapshot is of an ${s.arch} guest, the machine is ${machine.arch}`);
  if (s.memBytes !== machine.memBytes)
    throw new SnapshotError(
      `the snapshot has ${s.memBytes} bytes of guest RAM, the machine ${machine.memBytes}`,
    );
  const { count, quantum } = machine.cpus;
  if (s.state.vcpus.length !== count)
    throw new SnapshotError(`the snapshot has ${s.state.vcpus.length} vCPUs, the machine ${count} (--cpus)`);
  if (s.state.schedule.quantum !== quantum)
    throw new SnapshotError(
      `the snapshot's quantum is ${s.state.schedule.quantum}, the machine's ${quantum} (--quantum)`,
    );
  const ramBase = vm.opts.ramBase;
  const zero = new Uint8Array(PAGE_SIZE);
  let next = 0;
  for (let p = 0; p < machine.memBytes / PAGE_SIZE; p++) {
    const kept = next < s.pages.length && s.pages[next] === p;
    const bytes = kept ? s.data.subarray(next * PAGE_SIZE, (next + 1) * PAGE_SIZE) : zero;
    if (kept) next++;
    if (!writeGuestPage(vm, toGpa(ramBase + p * PAGE_SIZE), bytes))
      throw new SnapshotError(`no host frame for guest page ${p}: host memory is too small`);
  }
  machine.guestState(s.state);
}
