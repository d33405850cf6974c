/*
 * The generic nested page table (GPT).
 *
 * One GPT is the guest-physical -> host-physical translation of one VM: a 4-level radix tree of
 * 512-entry tables living in host frames, walked by the (emulated) hardware, with the vendor's
 * entry format -- Intel EPT, AMD nPT or arm64 stage-2 -- supplied as an EntryFormat. Nothing in this
 * file knows which bit is which.
 *
 * The work is split into small files:
 *   gpt-geometry.ts  levels, spans, indices          gpt-node.ts    the bookkeeping node of a table
 *   gpt-tables.ts    the tree: populate / vacate, table frames, reference counts
 *   gpt-walk.ts      reading the tables as hardware does (walk, walk-advance, translate fast path)
 *   gpt-iter.ts      range iterator                  gpt-harvest.ts dirty-log harvest
 *   gpt-accessed.ts  Accessed in the table pointers a walk uses
 *   gpt-check.ts     the full invariant sweep
 *   gpt.ts           (here) the facade: leaves (map / unmap), Accessed and Dirty, root pointer,
 *                    and the TableOwner callbacks through which the host pmap and pool reach us
 *
 * Rules of use (as the seed's): populate a region before mapping pages into it, and unmap every
 * page of a region before vacating it. mapAt maps only pages of populated regions.
 *
 * Every entry write goes through the pmap (installLeaf, updateLeaf, clearLeaf, installTable,
 * clearTable), so PV lists, ledgers and page attributes stay exact; every entry read comes from
 * host RAM (mem.u32), as the hardware would read it. When a leaf dies its Accessed/Dirty state is
 * handed to the pmap as the frame's referenced/modified attributes.
 *
 * Entries cleared behind the vmspace's back -- pmap.disconnect of a frame, a table stolen by the
 * pool -- are reported through onInvalidate(gpa, len), so the vmspace can move its generation on
 * and have vCPUs flush their TLBs (DESIGN §1). Direct callers of unmap and harvest know what they
 * did and are not told again. Such a leaf's Dirty state is not lost either: the page is recorded
 * as lost-dirty in its node and reported by the next dirty-log harvest of its range (a write the
 * guest made must reach the dirty log even if the host took the mapping away meanwhile).
 *
 * Failures a guest can cause are values: mapAt answers 'unpopulated' or 'exhausted'; translate
 * answers a negative miss code. Broken invariants throw (checks.ts):
 *  - always: no refcount underflow; a present entry is never replaced by one for another frame;
 *    a table is never freed while it has children or entries; vacated pages hold no leaves.
 *  - with fullChecks(): checkInvariants() after every public mutation (gpt-check.ts), which sweeps
 *    refcounts against covered entries, parent/child links against the table pointers in host RAM,
 *    valid counts against present leaves, and runs pmap.checkInvariants().
 */

import type { Gpa, Hfn, Hpa } from '../addr.js';
import { assert, fullChecks } from '../checks.js';
import { nullSink, type EventSink, type MmuEvent } from '../events.js';
import type { HostMemory } from '../host/host-memory.js';
import { ATTR_MODIFIED, ATTR_REFERENCED } from '../host/page-attributes.js';
import type { Pmap } from '../host/pmap.js';
import type { TablePool } from '../host/table-pool.js';
import type { TableOwner } from '../host/table-owner.js';
import type { AccessKind, MemType, Prot } from '../prot.js';
import { DEFAULT_ROOT_OPTIONS, newWords } from './entry-format.js';
import type { DecodedEntry, EntryFormat, EntryKind, PteWords, RootOptions } from './entry-format.js';
import { markPathAccessed } from './gpt-accessed.js';
import { checkGpt } from './gpt-check.js';
import { ENTRIES_PER_TABLE, GPA_LIMIT, LEAF_LEVEL, SPAN, entryAddr, indexOfPte } from './gpt-geometry.js';
import { GptIter } from './gpt-iter.js';
import { hintDirty, isCovered, type GptNode } from './gpt-node.js';
import { GptTables, assertRange, type PopulateResult } from './gpt-tables.js';
import { harvestDirty, harvestPages } from './gpt-harvest.js';
import { NO_ENTRY, describeWalk, leafSlot, translate, walk, walkAdvance } from './gpt-walk.js';
import type { TranslatedLeaf, WalkPath, WalkStep } from './gpt-walk.js';
import { PAGE_SIZE, pageAlignDown } from '../addr.js';

/** markAccessed's answer when it did not set a Dirty bit. */
export const NOT_DIRTIED = -1;

/** Outcome of mapAt. */
export type MapStatus =
  | 'mapped' // a new leaf was written
  | 'exists' // the page already maps that frame; nothing changed
  | 'unpopulated' // no populated region covers the page
  | 'exhausted'; // a table on the path could not get a host frame

/** A present leaf, decoded (for display and tests; allocates). */
export interface LeafInfo {
  gpa: Gpa;
  pte: Hpa;
  frame: Hfn;
  prot: Prot;
  memType: MemType;
  accessed: boolean;
  dirty: boolean;
}

export class Gpt implements TableOwner {
  readonly ownerId: number;
  readonly tables: GptTables;
  /** Told of entries cleared by disconnect or table steal: (first gpa, length in bytes). */
  onInvalidate: ((gpa: Gpa, len: number) => void) | null = null;
  /** A/D sets by the fill path (markAccessed) that changed a leaf, by the state they left: counted
   * here, not from the event stream, so that a run without a trace builds no event objects. */
  readonly adSets = { accessed: 0, dirty: 0 };
  private readonly u32: Uint32Array;
  private readonly w: PteWords = newWords();
  private freed = false;

  constructor(
    readonly format: EntryFormat,
    readonly mem: HostMemory,
    readonly pmap: Pmap,
    readonly pool: TablePool,
    readonly sink: EventSink<MmuEvent> = nullSink,
  ) {
    this.u32 = mem.u32;
    this.ownerId = pmap.registerOwner(this);
    this.tables = new GptTables(format, mem, pmap, pool, this.ownerId, sink);
  }

  /* ---- root ---- */

  get rootFrame(): Hfn {
    return this.tables.root.frame as Hfn;
  }

  /** EPTP / nCR3 / VTTBR for this tree. */
  rootPointer(opts: Partial<RootOptions> = {}): PteWords {
    const out = newWords();
    this.format.rootPointer(out, this.rootFrame, {
      adEnabled: opts.adEnabled ?? DEFAULT_ROOT_OPTIONS.adEnabled,
      vmid: opts.vmid ?? DEFAULT_ROOT_OPTIONS.vmid,
    });
    return out;
  }

  /** Whether the hardware keeps Accessed/Dirty for us (the seed's "can track dirty"). */
  get canTrackDirty(): boolean {
    return this.format.hwAdSupported;
  }

  /* ---- regions ---- */

  populate(gpa: Gpa, len: number): PopulateResult {
    const r = this.tables.populate(gpa, len);
    this.sweep();
    return r;
  }

  vacate(gpa: Gpa, len: number): void {
    this.tables.vacate(gpa, len);
    this.sweep();
  }

  /* ---- walking (host RAM, as hardware) ---- */

  walk(gpa: Gpa, path: WalkPath): number {
    return walk(this.u32, this.format, this.rootFrame, gpa, path);
  }

  walkAdvance(gpa: Gpa, path: WalkPath): Gpa {
    return walkAdvance(this.u32, this.format, gpa, path) as Gpa;
  }

  iterate(gpa: Gpa, len: number): GptIter {
    return new GptIter(this.u32, this.format, this.rootFrame, gpa, len);
  }

  /** Location of gpa's leaf slot (present or not), or -1 when no leaf table covers it in RAM. */
  leafPte(gpa: Gpa): Hpa | -1 {
    return leafSlot(this.u32, this.format, this.rootFrame, gpa) as Hpa | -1;
  }

  /**
   * TLB-fill fast path: the leaf entry location when gpa is mapped with rights for `access`, else a
   * miss code (-L: entry at level L not present; TX_RIGHTS). On a hit, `out` receives the leaf
   * decoded (its frame, rights and Dirty state), so the fill reads the entry once. No allocation,
   * no writes.
   */
  translate(gpa: Gpa, access: AccessKind, out?: TranslatedLeaf): number {
    return translate(this.u32, this.format, this.tables.root.frame, gpa, access, out);
  }

  lookup(gpa: Gpa): LeafInfo | null {
    const pte = this.leafPte(gpa);
    if (pte === NO_ENTRY) return null;
    const lo = this.u32[pte >>> 2];
    const hi = this.u32[(pte >>> 2) + 1];
    const f = this.format;
    if (!f.isPresent(lo, hi)) return null;
    return {
      gpa: pageAlignDown(gpa),
      pte,
      frame: f.frameOf(lo, hi),
      prot: f.protOf(lo, hi),
      memType: f.memTypeOf(lo, hi),
      accessed: f.isAccessed(lo, hi),
      dirty: f.isDirty(lo, hi),
    };
  }

  /* ---- reading one entry (the fill path has its location from translate) ---- */

  /** Frame named by the present entry at pte. */
  frameAt(pte: Hpa): Hfn {
    return this.format.frameOf(this.u32[pte >>> 2], this.u32[(pte >>> 2) + 1]);
  }

  /** Rights granted by the present leaf at pte. */
  protAt(pte: Hpa): Prot {
    return this.format.protOf(this.u32[pte >>> 2], this.u32[(pte >>> 2) + 1]);
  }

  /** Dirty state of the leaf at pte (what the fill path consults before caching write). */
  dirtyAt(pte: Hpa): boolean {
    return this.format.isDirty(this.u32[pte >>> 2], this.u32[(pte >>> 2) + 1]);
  }

  /** The entries a nested walk of gpa reads, root first, each decoded (for display). */
  explain(gpa: Gpa): WalkStep[] {
    return describeWalk(this.u32, this.format, this.tables.root.frame, gpa);
  }

  /** Named bits of the entry at pte, as the manuals draw them. */
  decodeAt(pte: Hpa, kind: EntryKind): DecodedEntry {
    return this.format.decode(this.u32[pte >>> 2], this.u32[(pte >>> 2) + 1], kind);
  }

  /* ---- leaves ---- */

  /** Map the page at gpa to `frame`. Refuses (assert) to replace a present entry for another frame. */
  mapAt(gpa: Gpa, frame: Hfn, prot: Prot, mt: MemType): MapStatus {
    assert(gpa % PAGE_SIZE === 0 && gpa >= 0 && gpa < GPA_LIMIT, 'gpt mapAt: gpa must be a page address');
    assert(prot !== 0, 'gpt mapAt: a leaf needs some right');
    let pte: number = leafSlot(this.u32, this.format, this.tables.root.frame, gpa);
    if (pte === NO_ENTRY) {
      const leaf = this.tables.backedLeafNode(gpa);
      if (typeof leaf === 'string') return leaf;
      pte = entryAddr(leaf.frame, (gpa / PAGE_SIZE) & (ENTRIES_PER_TABLE - 1));
    }
    const node = this.tables.nodeOfFrame(pte >>> 12)!;
    if (!isCovered(node, indexOfPte(pte))) return 'unpopulated';
    const w = pte >>> 2;
    const lo = this.u32[w];
    const hi = this.u32[w + 1];
    if (this.format.isPresent(lo, hi)) {
      assert(this.format.frameOf(lo, hi) === frame, 'gpt: replacing a present entry that maps another frame');
      return 'exists';
    }
    this.format.leaf(this.w, frame, prot, mt);
    this.pmap.installLeaf(pte as Hpa, this.w.lo, this.w.hi, frame);
    if (this.sink.enabled) this.sink.emit({ type: 'map', gpa, hfn: frame, prot, pte });
    this.sweep();
    return 'mapped';
  }

  /** Unmap the page at gpa; false when it was not mapped. */
  unmap(gpa: Gpa): boolean {
    const pte = this.leafPte(gpa);
    if (pte === NO_ENTRY || !this.presentAt(pte)) return false;
    this.clearLeafAt(pte, gpa);
    this.sweep();
    return true;
  }

  /** Unmap every mapped page in [gpa, gpa + len); returns how many were unmapped. */
  unmapRegion(gpa: Gpa, len: number): number {
    assertRange(gpa, len, 'gpt unmapRegion');
    const it = this.iterate(gpa, len);
    let n = 0;
    while (it.next()) {
      if (!this.presentAt(it.pte)) continue;
      this.clearLeafAt(it.pte, it.gpa);
      n++;
    }
    this.sweep();
    return n;
  }

  private presentAt(pte: number): boolean {
    const w = pte >>> 2;
    return this.format.isPresent(this.u32[w], this.u32[w + 1]);
  }

  /* Clear the present leaf at pte (for gpa); its A/D go to the frame's attributes. */
  /* Returns whether the leaf was dirty. */
  private clearLeafAt(pte: number, gpa: number): boolean {
    const f = this.format;
    const w = pte >>> 2;
    const lo = this.u32[w];
    const hi = this.u32[w + 1];
    const frame = f.frameOf(lo, hi);
    const dirty = f.isDirty(lo, hi);
    const attrs = (f.isAccessed(lo, hi) ? ATTR_REFERENCED : 0) | (dirty ? ATTR_MODIFIED : 0);
    this.pmap.clearLeaf(pte as Hpa, frame, attrs);
    if (this.sink.enabled) this.sink.emit({ type: 'unmap', gpa, hfn: frame, pte });
    return dirty;
  }

  /** Guest-physical address translated by the leaf slot at pte. */
  gpaOfPte(pte: Hpa): Gpa {
    return (this.leafNodeOf(pte).base + indexOfPte(pte) * PAGE_SIZE) as Gpa;
  }

  private leafNodeOf(pte: number): GptNode {
    const node = this.tables.nodeOfFrame(pte >>> 12);
    assert(
      node !== undefined && node.level === LEAF_LEVEL,
      'gpt: PTE location is not in one of our leaf tables',
    );
    return node;
  }

  /* ---- Accessed and Dirty ---- */

  isAccessed(gpa: Gpa): boolean {
    const pte = this.leafPte(gpa);
    if (pte === NO_ENTRY || !this.presentAt(pte)) return false;
    return this.format.isAccessed(this.u32[pte >>> 2], this.u32[(pte >>> 2) + 1]);
  }

  isDirty(gpa: Gpa): boolean {
    const pte = this.leafPte(gpa);
    if (pte === NO_ENTRY || !this.presentAt(pte)) return false;
    return this.format.isDirty(this.u32[pte >>> 2], this.u32[(pte >>> 2) + 1]);
  }

  /** Clear Accessed (and Dirty with it); returns whether Accessed was set. */
  resetAccessed(gpa: Gpa): boolean {
    return this.resetBits(gpa, true);
  }

  /** Clear Dirty; returns whether it was set. */
  resetDirty(gpa: Gpa): boolean {
    return this.resetBits(gpa, false);
  }

  private resetBits(gpa: Gpa, accessed: boolean): boolean {
    const pte = this.leafPte(gpa);
    if (pte === NO_ENTRY || !this.presentAt(pte)) return false;
    const f = this.format;
    const w = pte >>> 2;
    const lo = this.u32[w];
    const hi = this.u32[w + 1];
    const was = accessed ? f.isAccessed(lo, hi) : f.isDirty(lo, hi);
    if (accessed) f.clearAccessed(this.w, lo, hi);
    else f.clearDirty(this.w, lo, hi);
    if (this.w.lo !== lo || this.w.hi !== hi) {
      this.pmap.updateLeaf(pte, this.w.lo, this.w.hi);
      if (this.sink.enabled) this.sink.emit({ type: 'ad-reset', gpa, accessed, dirty: true });
    }
    this.sweep();
    return was;
  }

  /**
   * The MMU "hardware" fill path: set Accessed, and Dirty on a write (only if the leaf grants
   * write), in the present leaf at pte, and Accessed in the table pointers above it where the
   * format has one (gpt-accessed.ts). Writes only when something changes. Returns the page's
   * address when this set its Dirty bit (what a PML log records), else NOT_DIRTIED.
   */
  markAccessed(pte: Hpa, write: boolean): Gpa | typeof NOT_DIRTIED {
    const f = this.format;
    const w = pte >>> 2;
    const lo = this.u32[w];
    const hi = this.u32[w + 1];
    assert(f.isPresent(lo, hi), 'gpt markAccessed: leaf not present');
    if (write) f.setDirty(this.w, lo, hi);
    else f.setAccessed(this.w, lo, hi);
    if (this.w.lo === lo && this.w.hi === hi) return NOT_DIRTIED;
    this.pmap.updateLeaf(pte, this.w.lo, this.w.hi);
    const node = this.leafNodeOf(pte);
    const gpa = (node.base + indexOfPte(pte) * PAGE_SIZE) as Gpa;
    const dirtied = f.isDirty(this.w.lo, this.w.hi) && !f.isDirty(lo, hi);
    const dirty = f.isDirty(this.w.lo, this.w.hi);
    if (dirty) this.adSets.dirty++;
    else this.adSets.accessed++;
    if (dirtied) hintDirty(node); // the harvest's summary (gpt-node.ts)
    markPathAccessed(this.u32, f, this.pmap, this.rootFrame, gpa, this.w);
    if (this.sink.enabled) this.sink.emit({ type: 'ad-set', gpa, accessed: true, dirty });
    return dirtied ? gpa : NOT_DIRTIED;
  }

  /**
   * Dirty-log harvest (get and clear) over [gpa, gpa + len) into `bitmap` (gpt-harvest.ts): pages
   * whose leaf is dirty, and pages whose dirty leaf was cleared by disconnect or steal since the
   * last harvest. Returns the number of dirty pages found.
   */
  harvestDirty(gpa: Gpa, len: number, bitmap: Uint8Array): number {
    const n = harvestDirty(this, gpa, len, bitmap);
    this.sweep();
    return n;
  }

  /** harvestDirty for the listed pages only, with their leaf hints (gpt-harvest.ts harvestPages). */
  harvestPages(
    pages: Float64Array,
    hints: Float64Array,
    at: Gpa,
    out: Uint8Array,
    found: Uint8Array,
  ): number {
    const n = harvestPages(this, pages, hints, at, out, found);
    this.sweep();
    return n;
  }

  /* ---- TableOwner: called back by the host pmap and table pool ---- */

  clearLeafEntry(pte: Hpa): void {
    assert(this.presentAt(pte), 'gpt clearLeafEntry: leaf not present');
    const node = this.tables.nodeOfFrame(pte >>> 12);
    assert(node !== undefined && node.level === LEAF_LEVEL, 'gpt clearLeafEntry: not one of our leaf tables');
    const gpa = (node.base + indexOfPte(pte) * PAGE_SIZE) as Gpa;
    if (this.clearLeafAt(pte, gpa)) this.tables.noteLostDirty(node, indexOfPte(pte));
    this.onInvalidate?.(gpa, PAGE_SIZE);
  }

  stealLeafTable(table: Hfn): number {
    const node = this.tables.nodeOfFrame(table);
    assert(node !== undefined && node.level === LEAF_LEVEL, 'gpt stealLeafTable: not one of our leaf tables');
    let cleared = 0;
    for (let i = 0; i < ENTRIES_PER_TABLE; i++) {
      const pte = entryAddr(table, i);
      if (!this.presentAt(pte)) continue;
      if (this.clearLeafAt(pte, node.base + i * PAGE_SIZE)) this.tables.noteLostDirty(node, i);
      cleared++;
    }
    this.tables.unback(node);
    if (cleared > 0) this.onInvalidate?.(node.base as Gpa, SPAN[LEAF_LEVEL + 1]);
    return cleared;
  }

  validCount(table: Hfn): number {
    return this.pmap.leafCount(table);
  }

  /* ---- checks and teardown ---- */

  /** Full sweep (gpt-check.ts); runs after every public mutation when fullChecks() is on. */
  checkInvariants(): void {
    checkGpt(this);
  }

  private sweep(): void {
    if (fullChecks()) checkGpt(this);
  }

  /** Unmap everything, free every table and the root, and leave the pmap. */
  free(): void {
    assert(!this.freed, 'gpt: freed twice');
    this.unmapRegion(0 as Gpa, GPA_LIMIT);
    this.tables.freeAll();
    this.pmap.unregisterOwner(this.ownerId);
    this.freed = true;
  }

  get isFreed(): boolean {
    return this.freed;
  }
}
