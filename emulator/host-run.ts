/*
 * Several guests on one host: Machines that share a NestedHost (nested-host.ts), run round-robin
 * by slices, with the same-page merge scanner (mmu/vm/merge-scan.ts) between slices.
 *
 *   round:  vm0.runSlice(q)  [merge pass?]  vm1.runSlice(q)  [merge pass?]  ...   (stopped VMs skipped)
 *
 * Each Machine runs its slices exactly as it does alone (its own engine over the one host RAM,
 * its own vmspace, GPT and clients); only who runs next is decided here. A merge pass runs after a
 * slice whenever the instructions of all guests together have passed the next multiple of the
 * merge interval, and with merging on a slice is never longer than that interval. The order is
 * fixed and the counts are exact, so the same guests and options give the same run. The live view
 * (cli/tui/host-port.ts) cuts a turn into smaller slices, slice(max): the rest of the turn stays
 * owed to the same guest, and a merge pass waits for the turn's end, so the run is the same.
 *
 * What a merge changes in a VM's tables moves that VM's generation (vmspace-merge.ts), and its
 * engine flushes its TLB when it next enters the tables. Who maps a frame is read from the frame's
 * PV list (mmu/vm/frame-mappers.ts): each PTE location names its table, whose owner names the VM;
 * sharedFrames lists every merged frame with the VMs of its pages and its PTEs.
 *
 * Invariants: a Machine that has stopped is never run again; every Machine runs on `host`.
 */
import { hfn, gpa as toGpa, type Hfn } from '../mmu/addr.js';
import type { EventSink, MmuEvent } from '../mmu/events.js';
import { MergeScanner, type ScanCounters } from '../mmu/vm/merge-scan.js';
import type { PageMerger } from '../mmu/vm/page-merger.js';
import { whoMaps, type FrameMapper } from '../mmu/vm/frame-mappers.js';
import { LAYOUT } from './arch.js';
import type { Machine } from './machine.js';
import type { NestedHost } from './nested-host.js';
import type { StopReason } from './stop-reason.js';

/** Merging: a pass every `interval` guest instructions (all guests together), `pages` pages each. */
export interface MergeOptions {
  readonly interval: number;
  readonly pages: number;
  /** Who merges (mmu/vm/page-merger.ts): default the built-in scanner; the `merge` lab passes its own. */
  readonly merger?: PageMerger;
}

export const DEFAULT_MERGE_INTERVAL = 100_000;
export const DEFAULT_MERGE_PAGES = 1024;

/** The `merge` figures of a run (`run --json`). */
export interface MergeStats extends ScanCounters {
  /** Frames shared now. */
  shared: number;
  /** Guest pages that use a shared frame now. */
  sharing: number;
  /** Frames the merges give back now: sharing - shared. */
  framesSaved: number;
  /** Pages that joined a shared frame, since the start. */
  merges: number;
  /** Writes that broke a share, since the start. */
  cowBreaks: number;
}

export type { FrameMapper } from '../mmu/vm/frame-mappers.js';

/** A shared (merged) frame: the pages that use it, the VM of each, and the PTEs that map it now. */
export interface SharedFrame {
  hfn: number;
  pages: number;
  vms: number[];
  mappers: FrameMapper[];
}

export class HostRun {
  readonly stops: (StopReason | null)[];
  readonly scanner: MergeScanner | null;
  private next = 0;
  /* What the guest at `next` may still run of its turn (0: its turn is over). */
  private owed = 0;
  private nextPass: number;

  constructor(
    readonly host: NestedHost,
    readonly machines: readonly Machine[],
    private readonly merge: MergeOptions | null,
    sink?: EventSink<MmuEvent>,
  ) {
    this.stops = machines.map(() => null);
    this.scanner =
      merge === null || merge.merger !== undefined
        ? null
        : new MergeScanner(
            machines.map((m) => ({
              space: m.vm!.vmspace,
              gpa: toGpa(LAYOUT[m.arch].ramBase),
              pages: m.memBytes / 4096,
            })),
            host.shares,
            host.mem,
            sink,
          );
    this.nextPass = merge?.interval ?? Infinity;
  }

  get done(): boolean {
    return this.stops.every((s) => s !== null);
  }

  /** Instructions of all guests together. */
  get instructions(): number {
    return this.machines.reduce((n, m) => n + m.instructions, 0);
  }

  /** The guest whose turn it is now, or whose turn comes next. */
  get current(): number {
    return this.next;
  }

  /**
   * Run the next guest that has not stopped for one slice (and a merge pass when one is due).
   * With `max` (the live view steps), at most `max` instructions of the turn: the same guest goes
   * on with the rest at the next call, so where the caller cuts never changes who runs what.
   */
  slice(max = Infinity): void {
    const n = this.machines.length;
    if (this.owed === 0)
      for (let k = 0; k < n && this.stops[this.next] !== null; k++) this.next = (this.next + 1) % n;
    const i = this.next;
    if (this.stops[i] !== null) return;
    const m = this.machines[i];
    const merger = this.merge?.merger ?? this.scanner;
    const turn = this.merge === null ? m.sliceInsns : this.merge.interval;
    if (this.owed === 0) this.owed = turn;
    const fresh = this.owed === turn; // nothing of this turn has run yet
    const before = m.instructions;
    let generation = m.vm!.vmspace.generation;
    this.stops[i] = m.runSlice(Math.min(max, this.owed));
    // A turn that a kick ended before anything retired (a write that broke a share, in its fault)
    // goes on at once, as a whole turn again: a merge pass in between would merge the page again
    // before the write lands.
    if (this.stops[i] === null && m.instructions === before && merger != null && fresh) {
      [this.owed, generation] = [turn, m.vm!.vmspace.generation];
      this.stops[i] = m.runSlice(Math.min(max, this.owed));
    }
    const ran = m.instructions - before;
    // A kick (the generation moved while it ran) ends the turn, as it ends a whole one, even when
    // it came at the budget's last instruction; so does a slice cut short.
    const kicked = m.vm!.vmspace.generation !== generation;
    this.owed = this.stops[i] !== null || kicked || ran < Math.min(max, this.owed) ? 0 : this.owed - ran;
    if (this.owed > 0) return;
    this.next = (i + 1) % n;
    if (merger != null && this.instructions >= this.nextPass) {
      merger.pass(this.merge!.pages);
      while (this.nextPass <= this.instructions) this.nextPass += this.merge!.interval;
    }
  }

  /** The merge figures now (zeros without merging). */
  mergeStats(): MergeStats {
    const c = this.host.shares.counters;
    const scan = this.scanner?.counters ?? { passes: 0, scanned: 0 };
    return { ...c, framesSaved: this.host.shares.framesSaved, ...scan };
  }

  /** Every PTE that maps host frame f, from f's PV list, with the VM that owns it. */
  whoMaps(f: Hfn): FrameMapper[] {
    return whoMaps(
      this.host.pmap,
      this.machines.map((m) => m.vm!.vmspace),
      f,
    );
  }

  /** Every shared frame now, in frame order, with its users and the PTEs that map it. */
  sharedFrames(): SharedFrame[] {
    const { shares, mem } = this.host;
    const out: SharedFrame[] = [];
    for (let f = 0; f < mem.frameCount; f++) {
      if (!shares.isShared(hfn(f))) continue;
      const vms = shares.usersOf(hfn(f)).map((u) => u.owner.vm);
      out.push({ hfn: f, pages: vms.length, vms, mappers: this.whoMaps(hfn(f)) });
    }
    return out;
  }

  /** Frames mapped by more than one PTE now, most-mapped first (ties: lower frame first). */
  multiMapped(): Hfn[] {
    const out: Hfn[] = [];
    const { pmap, mem } = this.host;
    for (let f = 0; f < mem.frameCount; f++) if (pmap.mappingCount(hfn(f)) > 1) out.push(hfn(f));
    return out.sort((a, b) => pmap.mappingCount(b) - pmap.mappingCount(a) || a - b);
  }
}
