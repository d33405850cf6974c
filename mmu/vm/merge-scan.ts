/*
 * The merge scanner: same-page merging across the VMs of one host, as Linux KSM does it.
 *
 * The host runs a pass every so often (the CLI's `--merge-interval`, in guest instructions); a
 * pass looks at the next K guest pages (`--merge-pages`) of the RAM ranges it was given, one VM
 * after the other, and wraps around. Only a page that has a frame of its own is looked at and
 * counts towards K (mergeCandidate in vmspace-merge.ts: not shared yet, not watched, not held); pages that
 * have no frame, or a shared one, are stepped over, and a pass never goes round more than once.
 * A page looked at has its content hashed, and:
 *
 *   1. a shared frame with that hash and the same bytes (a full compare) exists (the stable set):
 *      the page joins it;
 *   2. else a page seen earlier in this round had that hash and still has the same bytes (the
 *      unstable set): both join the candidate's frame, which becomes shared (the candidate is the
 *      keeper, its frame is the shared one), and that frame enters the stable set;
 *   3. else the page is remembered in the unstable set under its hash.
 *
 * Cases 2 and 3 need a steady page: one that held the same bytes (the same hash) when it was last
 * looked at. A page that changed since is only noted, so that a page the guest keeps writing (a
 * stack, a counter) is not merged only to have its share broken at once, as KSM does with its
 * checksum. So a page is merged at its second look at the earliest, unless a shared frame with
 * its bytes exists already.
 *
 *   stable    hash -> shared frames        (pruned lazily: a frame no page shares any more is dropped)
 *   unstable  hash -> (space, page)        (emptied at every wrap: content may have changed since)
 *   last      per range and page: the hash when last looked at (one 32-bit word per guest page)
 *
 * Joining is mergePage (vmspace-merge.ts): a present leaf is rewritten to the shared frame without write
 * (the vmspace generation moves, so that VM's engine flushes), the page's own frame goes back to
 * the reservoir. The frame's PV head then lists PTEs of every VM that maps it (mmu/host/pv-head.ts),
 * and a guest write to it breaks the share (Vmspace.lookupMap). A hash is only a hint: two pages
 * are merged only when every byte agrees.
 *
 * Determinism: the cursor, the sets and their lists change only with the guests' memory and the
 * order of the passes, so the same guests and options merge the same pages in the same frames.
 * Cost: one hash (1024 words) per page looked at, and one compare per merge.
 */
import type { Gpa, Hfn } from '../addr.js';
import { PAGE_SIZE, gpa as toGpa } from '../addr.js';
import { assert } from '../checks.js';
import type { EventSink, MmuEvent } from '../events.js';
import { nullSink } from '../events.js';
import type { HostMemory } from '../host/host-memory.js';
import type { FrameShares } from './frame-shares.js';
import type { PageMerger } from './page-merger.js';
import { mergeCandidate, mergePage } from './vmspace-merge.js';
import type { Vmspace } from './vmspace.js';

const WORDS = PAGE_SIZE / 4;

/** A run of guest RAM of one VM that the scanner looks at. */
export interface MergeRange {
  readonly space: Vmspace;
  readonly gpa: Gpa;
  readonly pages: number;
}

interface Seen {
  readonly range: number;
  readonly page: Gpa;
}

export interface ScanCounters {
  passes: number;
  /** Pages looked at (hashed). */
  scanned: number;
}

/**
 * A 32-bit hash of the frame's words, with MurmurHash3's block mix and finaliser (every word is
 * multiplied, rotated and multiplied again before it joins the state, so pages that differ only
 * in their high bits still differ in the hash; a plain FNV-1a over whole words does not).
 */
export function hashFrame(mem: HostMemory, f: Hfn): number {
  const u32 = mem.u32;
  let h = 0x9747b28c;
  for (let i = f * WORDS, end = i + WORDS; i < end; i++) {
    let k = Math.imul(u32[i], 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  h ^= PAGE_SIZE;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Whether frames a and b hold the same bytes. */
export function sameFrame(mem: HostMemory, a: Hfn, b: Hfn): boolean {
  const u32 = mem.u32;
  const d = (b - a) * WORDS;
  for (let i = a * WORDS, end = i + WORDS; i < end; i++) if (u32[i] !== u32[i + d]) return false;
  return true;
}

export class MergeScanner implements PageMerger {
  readonly counters: ScanCounters = { passes: 0, scanned: 0 };
  private readonly total: number;
  private cursor = 0;
  private readonly stable = new Map<number, Hfn[]>();
  private readonly unstable = new Map<number, Seen>();
  /* per range, per page: the hash at the last look (meaningful where seen[] is 1) */
  private readonly last: Uint32Array[];
  private readonly seen: Uint8Array[];

  constructor(
    private readonly ranges: readonly MergeRange[],
    private readonly shares: FrameShares,
    private readonly mem: HostMemory,
    private readonly sink: EventSink<MmuEvent> = nullSink,
  ) {
    this.total = ranges.reduce((n, r) => n + r.pages, 0);
    assert(this.total > 0, 'merge scanner: nothing to scan');
    this.last = ranges.map((r) => new Uint32Array(r.pages));
    this.seen = ranges.map((r) => new Uint8Array(r.pages));
  }

  /** One pass: look at the next `pages` candidates (one round at most); returns the pages that joined. */
  pass(pages: number): number {
    assert(Number.isSafeInteger(pages) && pages > 0, 'merge scanner: pages per pass must be positive');
    let merged = 0;
    let looked = 0;
    for (let i = 0; i < this.total && looked < pages; i++) {
      const [range, index] = this.at(this.cursor);
      const joined = this.visit(range, index);
      if (joined >= 0) {
        looked++;
        merged += joined;
      }
      if (++this.cursor === this.total) {
        this.cursor = 0;
        this.unstable.clear(); // a new round: what was seen may have changed
      }
    }
    this.counters.passes++;
    const c = this.shares.counters;
    if (this.sink.enabled)
      this.sink.emit({ type: 'merge-pass', pages: looked, merged, shared: c.shared, sharing: c.sharing });
    return merged;
  }

  /* The range and page index of scan position i. */
  private at(i: number): [number, number] {
    let r = 0;
    while (i >= this.ranges[r].pages) i -= this.ranges[r++].pages;
    return [r, i];
  }

  /* Whether the page hashed to h at its last look too; notes h for the next one. */
  private steady(range: number, index: number, h: number): boolean {
    const same = this.seen[range][index] === 1 && this.last[range][index] === h;
    this.seen[range][index] = 1;
    this.last[range][index] = h;
    return same;
  }

  /* Look at one page (see the essay's three cases); the pages that joined, -1 for no candidate. */
  private visit(range: number, index: number): number {
    const space = this.ranges[range].space;
    const page = toGpa(this.ranges[range].gpa + index * PAGE_SIZE);
    const f = mergeCandidate(space, page);
    if (f === -1) return -1;
    this.counters.scanned++;
    const h = hashFrame(this.mem, f);
    const s = this.stableMatch(h, f);
    if (s !== -1) {
      mergePage(space, page, s);
      return 1;
    }
    if (!this.steady(range, index, h)) return 0; // changed since the last look: not yet
    const seen = this.unstable.get(h);
    if (seen !== undefined && !(seen.range === range && seen.page === page)) {
      const other = this.ranges[seen.range].space;
      const g = mergeCandidate(other, seen.page);
      if (g !== -1 && sameFrame(this.mem, f, g)) {
        mergePage(other, seen.page, g); // the keeper: its frame is the shared one
        mergePage(space, page, g);
        this.unstable.delete(h);
        this.stableList(h).push(g);
        return 2;
      }
    }
    this.unstable.set(h, { range, page });
    return 0;
  }

  /* A shared frame with hash h and f's bytes, or -1; drops frames that are no longer shared. */
  private stableMatch(h: number, f: Hfn): Hfn | -1 {
    const list = this.stable.get(h);
    if (list === undefined) return -1;
    for (let i = list.length - 1; i >= 0; i--) if (!this.shares.isShared(list[i])) list.splice(i, 1);
    if (list.length === 0) this.stable.delete(h);
    for (const s of list) if (sameFrame(this.mem, f, s)) return s;
    return -1;
  }

  private stableList(h: number): Hfn[] {
    let list = this.stable.get(h);
    if (list === undefined) this.stable.set(h, (list = []));
    return list;
  }
}
