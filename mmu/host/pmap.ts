/*
 * The pmap: the host's book of who maps each host frame, and of the frames that hold page tables.
 *
 * Every write of a page-table entry into host RAM goes through here (the GPT never stores into
 * mem.u32 itself, though it reads entries from there as hardware would). That gives the pmap the
 * whole story without it ever decoding an entry:
 *
 *   installLeaf(pte, lo, hi, frame)   write the entry; record it as a leaf; PV-enter (frame, pte);
 *                                     charge the owner of pte's table one mapped entry
 *   updateLeaf(pte, lo, hi)           same frame, other bits (rights, A/D): no PV change
 *   clearLeaf(pte, frame, attrs)      zero the entry; PV-remove (frame, pte); merge A/D into attrs
 *   installTable / clearTable(pte)    a pointer to a lower table (tables are tracked by descriptor)
 *   updateTable(pte, lo, hi)          same table, other bits (Accessed set by a walk)
 *
 * Parts (each in its own file): PvHeads + PvPool (PV lists), TableDescriptors (owner, level, base,
 * refcount per table frame), InstalledEntries (bitmaps of installed leaves and pointers),
 * PageAttributes (referenced/modified), Ledger (per-owner charges). The checks of the whole live in
 * pmap-check.ts.
 *
 * Frames at or above mem.frameCount are device apertures: a leaf may map them (MMIO), but they have
 * no PV head and are only counted (unmanagedLeaves), as the seed tracks only managed pages.
 *
 * Always-on checks (cheap): an entry is written only inside a table frame; a leaf is not installed
 * twice; a leaf or pointer that isn't there is not cleared; a table frame is not mapped by a leaf and
 * a mapped frame doesn't become a table; refcounts don't underflow; a descriptor is not cleared
 * with a refcount above zero or entries still installed. With fullChecks() on, every mutating
 * operation ends with the full sweep checkInvariants().
 *
 * Hot path (installLeaf, clearLeaf with a SINGLE head): a handful of typed-array reads and writes,
 * no allocation, no BigInt; an event object is built only when sink.enabled.
 */

import type { Gpa, Hfn, Hpa } from '../addr.js';
import { assert, fullChecks } from '../checks.js';
import type { EventSink, MmuEvent, PvHeadKind } from '../events.js';
import { nullSink } from '../events.js';
import type { FrameAllocator } from './frame-allocator.js';
import type { HostMemory } from './host-memory.js';
import { InstalledEntries } from './installed-entries.js';
import { Ledger } from './ledger.js';
import { ATTR_ALL, ATTR_MODIFIED, ATTR_REFERENCED, PageAttributes } from './page-attributes.js';
import { checkPmap } from './pmap-check.js';
import { HEAD_TABLE, PvHeads } from './pv-head.js';
import { PvPool } from './pv-pool.js';
import type { PvPoolOptions, PvPoolStats } from './pv-pool.js';
import { TableDescriptors } from './table-descriptors.js';
import { NO_OWNER } from './table-owner.js';
import type { TableOwnerCallbacks } from './table-owner.js';

export interface PmapOptions {
  pv?: PvPoolOptions;
}

export class Pmap {
  readonly mem: HostMemory;
  readonly heads: PvHeads;
  readonly pool: PvPool;
  readonly desc: TableDescriptors;
  readonly entries: InstalledEntries;
  readonly attrs: PageAttributes;
  readonly ledger = new Ledger();
  /** Leaves that map frames outside host RAM (device apertures): no PV head for them. */
  unmanagedLeaves = 0;
  private readonly owners: (TableOwnerCallbacks | undefined)[] = [undefined];
  private readonly sink: EventSink<MmuEvent>;

  constructor(mem: HostMemory, sink: EventSink<MmuEvent> = nullSink, opts: PmapOptions = {}) {
    this.mem = mem;
    this.sink = sink;
    this.pool = new PvPool(opts.pv, sink);
    this.heads = new PvHeads(mem.frameCount, this.pool, sink);
    this.desc = new TableDescriptors(mem.frameCount);
    this.entries = new InstalledEntries(mem.frameCount);
    this.attrs = new PageAttributes(mem.frameCount);
  }

  /* ---- owners ---- */

  registerOwner(o: TableOwnerCallbacks): number {
    const id = this.owners.length;
    assert(id <= 0xffff, 'pmap: too many table owners');
    this.owners.push(o);
    this.ledger.open(id);
    return id;
  }

  unregisterOwner(ownerId: number): void {
    assert(this.owners[ownerId] !== undefined, 'pmap: unknown owner');
    assert(this.ledger.isIdle(ownerId), 'pmap: owner still has tables or mapped entries');
    this.owners[ownerId] = undefined;
  }

  owner(ownerId: number): TableOwnerCallbacks {
    const o = this.owners[ownerId];
    assert(o !== undefined, 'pmap: unknown owner');
    return o;
  }

  isOwner(ownerId: number): boolean {
    return ownerId > NO_OWNER && this.owners[ownerId] !== undefined;
  }

  tableFrames(ownerId: number): number {
    return this.ledger.tableFrames[ownerId] ?? 0;
  }

  mappedEntries(ownerId: number): number {
    return this.ledger.mappedEntries[ownerId] ?? 0;
  }

  /* ---- entry writes ---- */

  /* The owner of the table frame holding pte; asserts pte is an aligned entry inside a table. */
  private tableOwnerOf(pte: Hpa): number {
    assert((pte & 7) === 0 && pte >= 0 && pte < this.mem.bytes, 'pmap: PTE location outside host RAM');
    const o = this.desc.owner[pte >>> 12];
    assert(o !== NO_OWNER, 'pmap: PTE location is not inside a page table');
    return o;
  }

  private write(pte: Hpa, lo: number, hi: number): void {
    const w = pte >>> 2;
    this.mem.u32[w] = lo;
    this.mem.u32[w + 1] = hi;
  }

  installLeaf(pte: Hpa, lo: number, hi: number, frame: Hfn): void {
    const o = this.tableOwnerOf(pte);
    assert(!this.entries.isLeaf(pte), 'pmap: entering a duplicate leaf');
    assert(!this.entries.isPtr(pte), 'pmap: leaf over a table pointer');
    assert((lo | hi) !== 0, 'pmap: a leaf entry cannot be all zero');
    this.write(pte, lo, hi);
    this.entries.setLeaf(pte);
    this.ledger.creditEntry(o);
    if (frame < this.mem.frameCount) this.heads.enter(frame, pte);
    else this.unmanagedLeaves++;
    if (fullChecks()) this.checkInvariants();
  }

  updateLeaf(pte: Hpa, lo: number, hi: number): void {
    this.tableOwnerOf(pte);
    assert(this.entries.isLeaf(pte), 'pmap: updating a leaf that is not installed');
    assert((lo | hi) !== 0, 'pmap: a leaf entry cannot be all zero');
    this.write(pte, lo, hi);
  }

  /** Zero the leaf at pte that maps frame; attrs (ATTR_REFERENCED|ATTR_MODIFIED) are its A/D state. */
  clearLeaf(pte: Hpa, frame: Hfn, attrs = 0): void {
    const o = this.tableOwnerOf(pte);
    assert(this.entries.isLeaf(pte), 'pmap: removing a leaf that is not installed');
    if (frame < this.mem.frameCount) {
      this.heads.remove(frame, pte);
      if (attrs !== 0) this.attrs.set(frame, attrs);
    } else {
      assert(this.unmanagedLeaves > 0, 'pmap: unmanaged leaf count underflow');
      this.unmanagedLeaves--;
    }
    this.write(pte, 0, 0);
    this.entries.clearLeaf(pte);
    this.ledger.debitEntry(o);
    if (fullChecks()) this.checkInvariants();
  }

  installTable(pte: Hpa, lo: number, hi: number): void {
    this.tableOwnerOf(pte);
    assert(
      !this.entries.isLeaf(pte) && !this.entries.isPtr(pte),
      'pmap: table pointer over an installed entry',
    );
    assert((lo | hi) !== 0, 'pmap: a table pointer cannot be all zero');
    this.write(pte, lo, hi);
    this.entries.setPtr(pte);
    if (fullChecks()) this.checkInvariants();
  }

  /** Same table, other bits (the Accessed flag a walk sets in a pointer): no descriptor change. */
  updateTable(pte: Hpa, lo: number, hi: number): void {
    this.tableOwnerOf(pte);
    assert(this.entries.isPtr(pte), 'pmap: updating a table pointer that is not installed');
    assert((lo | hi) !== 0, 'pmap: a table pointer cannot be all zero');
    this.write(pte, lo, hi);
  }

  clearTable(pte: Hpa): void {
    this.tableOwnerOf(pte);
    assert(this.entries.isPtr(pte), 'pmap: clearing a table pointer that is not installed');
    this.write(pte, 0, 0);
    this.entries.clearPtr(pte);
    if (fullChecks()) this.checkInvariants();
  }

  isLeafInstalled(pte: Hpa): boolean {
    return this.entries.isLeaf(pte);
  }

  isTableInstalled(pte: Hpa): boolean {
    return this.entries.isPtr(pte);
  }

  /** Leaves installed in table t (O(1)). */
  leafCount(t: Hfn): number {
    return this.entries.leaves[t];
  }

  /** Table pointers installed in table t (O(1)). */
  pointerCount(t: Hfn): number {
    return this.entries.ptrs[t];
  }

  /* ---- page-table descriptors ---- */

  setDescriptor(table: Hfn, ownerId: number, level: number, base: Gpa): void {
    assert(this.mem.isRam(table), 'pmap: table frame outside host RAM');
    assert(this.isOwner(ownerId), 'pmap: descriptor for an unregistered owner');
    this.heads.markTable(table);
    this.desc.set(table, ownerId, level, base);
    this.ledger.creditTable(ownerId);
    if (fullChecks()) this.checkInvariants();
  }

  clearDescriptor(table: Hfn): void {
    this.releaseDescriptor(table, false);
  }

  /** Package use (table pool, after a steal): release a table whatever its refcount. */
  releaseDescriptor(table: Hfn, force: boolean): void {
    assert(this.mem.isRam(table) && this.desc.isSet(table), 'pmap: frame is not a table');
    assert(this.entries.leaves[table] === 0, 'pmap: releasing a table that still holds leaves');
    assert(this.entries.ptrs[table] === 0, 'pmap: releasing a table that still holds table pointers');
    const o = this.desc.owner[table];
    this.desc.clear(table, force);
    this.heads.unmarkTable(table);
    this.ledger.debitTable(o);
    if (fullChecks()) this.checkInvariants();
  }

  isTable(f: Hfn): boolean {
    return this.mem.isRam(f) && this.heads.kind[f] === HEAD_TABLE;
  }

  descLevel(f: Hfn): number {
    return this.desc.level[f];
  }

  descBase(f: Hfn): Gpa {
    return this.desc.base[f] as Gpa;
  }

  descOwner(f: Hfn): number {
    return this.desc.owner[f];
  }

  refcount(table: Hfn): number {
    assert(this.desc.isSet(table), 'refcount: frame is not a table');
    return this.desc.refs[table];
  }

  adjustRefcount(table: Hfn, delta: number): number {
    return this.desc.adjust(table, delta);
  }

  /* ---- PV queries ---- */

  headKind(f: Hfn): PvHeadKind {
    if (!this.mem.isRam(f)) return 'empty';
    return this.heads.kindName(f);
  }

  mappingCount(f: Hfn): number {
    return this.mem.isRam(f) ? this.heads.count[f] : 0;
  }

  /** Calls fn for every PTE location mapping f. fn must not change f's mappings. */
  forEachMapping(f: Hfn, fn: (pte: Hpa) => void): void {
    if (this.mem.isRam(f)) this.heads.forEach(f, fn);
  }

  mappings(f: Hfn): Hpa[] {
    const out: Hpa[] = [];
    this.forEachMapping(f, (p) => out.push(p));
    return out;
  }

  /**
   * Remove every mapping of frame f: each PTE's owner clears it (through clearLeaf). Returns how
   * many were cleared; `report` hears each PTE and its owner before it goes. The head ends EMPTY.
   */
  disconnect(f: Hfn, report?: (pte: Hpa, ownerId: number) => void): number {
    assert(this.mem.isRam(f), 'disconnect: frame outside host RAM');
    assert(this.heads.kind[f] !== HEAD_TABLE, 'disconnect: frame holds a page table');
    let cleared = 0;
    while (this.heads.count[f] > 0) {
      const pte = this.heads.firstPte(f);
      const o = this.desc.owner[pte >>> 12];
      const before = this.heads.count[f];
      report?.(pte, o);
      this.owner(o).clearLeafEntry(pte);
      assert(
        this.heads.count[f] === before - 1 && !this.entries.isLeaf(pte),
        'disconnect: owner did not clear the leaf',
      );
      cleared++;
    }
    if (this.sink.enabled) this.sink.emit({ type: 'disconnect', hfn: f, cleared });
    return cleared;
  }

  /** Asserts nothing maps f and f holds no table (the frame allocator runs this on free). */
  checkFrameUnused(f: Hfn): void {
    assert(this.heads.count[f] === 0, 'pmap: freeing a frame that is still mapped');
    assert(this.heads.kind[f] !== HEAD_TABLE, 'pmap: freeing a frame that still holds a table');
  }

  /* ---- frame attributes ---- */

  attributes(f: Hfn): number {
    return this.attrs.get(f);
  }

  setAttributes(f: Hfn, bits: number): void {
    this.attrs.set(f, bits);
  }

  clearAttributes(f: Hfn, bits: number = ATTR_ALL): void {
    this.attrs.clear(f, bits);
  }

  isReferenced(f: Hfn): boolean {
    return (this.attrs.get(f) & ATTR_REFERENCED) !== 0;
  }

  /**
   * Pages with a copy in a swap store attached to this host (SwapStore.attach, by each reclaimer):
   * while 0, no frame's written attribute can matter (page-attributes.ts).
   */
  swapCopies = 0;

  /** Host frames whose modified attribute is set now. */
  get modifiedFrames(): number {
    return this.attrs.modified;
  }

  isModified(f: Hfn): boolean {
    return (this.attrs.get(f) & ATTR_MODIFIED) !== 0;
  }

  /* ---- pools and checks ---- */

  /** Counts of the PV entry pool (per-vCPU lists, ring, reserve, refills). */
  get pvStats(): PvPoolStats {
    return this.pool.stats;
  }

  /** Selects the per-vCPU PV free list (default 0). */
  get currentCpu(): number {
    return this.pool.currentCpu;
  }
  set currentCpu(c: number) {
    this.pool.currentCpu = c;
  }

  /**
   * Full sweep (see pmap-check.ts). With an allocator, also checks that every table and every
   * mapped frame is allocated, and tables for the purpose 'table'.
   */
  checkInvariants(frames?: FrameAllocator): void {
    checkPmap(this, frames);
  }
}
