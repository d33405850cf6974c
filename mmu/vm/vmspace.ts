/*
 * The vmspace: the guest-physical address space of one VM.
 *
 * It holds the list of mappings (object, gpa, len, object offset, prot), the nested page table
 * (GPT) that the MMU "hardware" walks, the page-table generation, and the clients (vCPUs,
 * devices) that use it. Pages enter the GPT lazily: map() only populates the tables for the
 * region; the first access to a page misses in the GPT, the fill hook reports a nested page fault,
 * and fault() looks the address up in the mappings and writes the leaf (lookup-and-map):
 *
 *   fault(gpa, access)
 *     no mapping covers gpa                        -> { kind: 'nomap' }
 *     the mapping's prot lacks the access           -> { kind: 'rights', prot }
 *     object frameAt(offset)                        -> the page's frame; a RAM page's first
 *                                                      fault takes it from the reservoir
 *                                                      (demand allocation), or 'exhausted'
 *     GPT mapAt(page, object frame, prot, memtype)  -> { kind: 'mapped', hfn } (RAM)
 *                                                      { kind: 'mmio', hpa }  (device window)
 *                                                      { kind: 'exhausted' } (no table frame)
 *
 * The leaf gets the mapping's full rights, but never write to a merged page's shared frame: a
 * fault that needs write breaks the share first (vmspace-merge.ts). Dirty tracking does not take write away from the PTE:
 * it is the fill side that withholds write from what Unicorn caches while Dirty is clear, so the
 * first write comes back to the fill hook, which sets Dirty as hardware would.
 *
 * Every change that clears a PTE or takes something from it moves the page-table generation on,
 * and administrative changes (map, unmap, harvest, Accessed reset, disconnect, switching dirty
 * tracking) run with every client on HOLD: the protocol is in vm-generation.ts. Populate only adds
 * translations and runs without it. The dirty log (harvestDirty) survives PTE loss to steals,
 * disconnects and Accessed resets through the frames' modified attribute: see dirty-log.ts.
 *
 * The dirty log's modes (dirtyLog): 'bitmap' (default) reads the range's tables (gpt-harvest.ts),
 * 'ring' only the pages the vCPUs' PML logs and the VMM's writes named (ring-harvest.ts).
 * Invariants (checkInvariants): the mappings are sorted and disjoint and keep their objects alive;
 * every present leaf lies inside a mapping and maps that mapping's frame with at least its rights;
 * residentCount = present leaves; the clients' outstanding holds add up to counters.holds. A page
 * a debugger restricted (restrictPage, for a watchpoint) has at least its mapping's rights within
 * what it keeps.
 */

import type { Gpa, Gva, Hfn, Hpa } from '../addr.js';
import { pageAlignDown, PAGE_SIZE, gpa as toGpa, hex } from '../addr.js';
import { assert, broken, fullChecks } from '../checks.js';
import { nullSink, type AccessSite, type EventSink, type MmuEvent } from '../events.js';
import type { EntryFormat, PteWords } from '../gpt/entry-format.js';
import { GPA_LIMIT } from '../gpt/gpt-geometry.js';
import { setLeafRights } from '../gpt/gpt-rights.js';
import { Gpt } from '../gpt/gpt.js';
import type { HostMemory } from '../host/host-memory.js';
import type { Pmap } from '../host/pmap.js';
import type { TablePool } from '../host/table-pool.js';
import { PROT_ALL, PROT_READ, PROT_WRITE, accessProt, type AccessKind, type Prot } from '../prot.js';
import { harvestRange, markWritten, resetAccessedRange } from './dirty-log.js';
import { RingDirtyLog, type DirtyLogMode } from './ring-harvest.js';
import type { ShareBreaker } from './page-merger.js';
import { sharedAccess } from './vmspace-merge.js';
import { VmClient } from './vm-client.js';
import { newCounters, type VmCounters } from './vm-counters.js';
import { TableGeneration } from './vm-generation.js';
import { MappingList, objectOffset, type VmMapping } from './vm-mapping.js';
import type { VmObject } from './vm-object.js';
import { checkMappings } from './vmspace-check.js';
import { DIRTY_TRACKING_OFF } from './vm-results.js';
import type { FaultResult, MapResult, PopulateResult, UnmapResult } from './vm-results.js';

export interface VmspaceOptions {
  format: EntryFormat;
  mem: HostMemory;
  pmap: Pmap;
  pool: TablePool;
  sink?: EventSink<MmuEvent>;
  /** Dirty tracking (default on). Stays off when the format has no hardware A/D. */
  trackDirty?: boolean;
  /** One past the highest guest-physical address that may be mapped (default 2^48). */
  limit?: number;
  dirtyLog?: DirtyLogMode; // 'bitmap' (the default) or 'ring' (see the essay)
  vmId?: number; // which VM of its host (0 for a host of one), named in merge and reclaim events
}

export class Vmspace {
  readonly gpt: Gpt;
  readonly mem: HostMemory;
  readonly pmap: Pmap;
  readonly sink: EventSink<MmuEvent>;
  readonly limit: number;
  readonly vmId: number; // see VmspaceOptions
  readonly counters: VmCounters = newCounters();
  /** The PML logs' side of the dirty log in 'ring' mode, else null. */
  readonly ringLog: RingDirtyLog | null;
  shareBreaker: ShareBreaker | null = null; // the fault on a merged page (page-merger.ts); null: built-in
  private readonly maps = new MappingList();
  private readonly restricted = new Map<number, Prot>(); // page -> rights kept (restrictPage)
  private readonly clientList: VmClient[] = [];
  private readonly gen: TableGeneration;
  private tracking: boolean;
  private nextClientId = 1;
  private dead = false;

  constructor(opts: VmspaceOptions) {
    this.mem = opts.mem;
    this.pmap = opts.pmap;
    this.sink = opts.sink ?? nullSink;
    this.limit = opts.limit ?? GPA_LIMIT;
    this.vmId = opts.vmId ?? 0;
    assert(
      this.limit > 0 && this.limit % PAGE_SIZE === 0 && this.limit <= GPA_LIMIT,
      'vmspace: limit must be a page multiple within the guest-physical space',
    );
    this.gpt = new Gpt(opts.format, opts.mem, opts.pmap, opts.pool, this.sink);
    this.gen = new TableGeneration(this.clientList, this.counters, this.sink);
    this.gpt.onInvalidate = (gpa, len) => this.gen.tablesInvalidated(gpa, len);
    this.tracking = (opts.trackDirty ?? true) && this.gpt.canTrackDirty;
    this.ringLog = opts.dirtyLog === 'ring' ? new RingDirtyLog(this.counters, this.sink) : null;
  }

  /* ---- state ---- */

  /** Page-table generation: starts at 1, moves on whenever translations are removed. */
  get generation(): number {
    return this.gen.value;
  }

  /** Pages currently mapped in the GPT (the seed's resident count). */
  get residentCount(): number {
    return this.pmap.mappedEntries(this.gpt.ownerId);
  }

  get dirtyTracking(): boolean {
    return this.tracking;
  }

  get format(): EntryFormat {
    return this.gpt.format;
  }

  get isDestroyed(): boolean {
    return this.dead;
  }

  /** The mappings in address order. */
  mappings(): readonly VmMapping[] {
    return this.maps.all();
  }

  findMapping(gpa: Gpa): VmMapping | null {
    return this.maps.find(gpa);
  }

  clients(): readonly VmClient[] {
    return this.clientList;
  }

  /** EPTP / nCR3 / VTTBR value (EPT A/D enable follows dirty tracking). */
  rootPointer(vmid = 0): PteWords {
    return this.gpt.rootPointer({ adEnabled: this.tracking, vmid });
  }

  /* ---- clients ---- */

  createClient(name?: string): VmClient {
    this.assertAlive();
    const c = new VmClient(this, this.nextClientId++, name);
    this.clientList.push(c);
    return c;
  }

  /** @internal VmClient.destroy */
  removeClient(c: VmClient): void {
    const i = this.clientList.indexOf(c);
    assert(i >= 0, 'vmspace: removing a client that is not ours');
    this.clientList.splice(i, 1);
  }

  /* ---- mapping ---- */

  /**
   * Map [offset, offset + len) of `object` at [gpa, gpa + len) with rights `prot` (write implies
   * read, as in every entry format). Takes a reference on the object of its own. Populates the
   * GPT for the region; pages are entered on first fault (or by populate()).
   */
  map(object: VmObject, gpa: Gpa, len: number, offset: number, prot: Prot): MapResult {
    this.assertAlive();
    const bad = this.checkMapRequest(object, gpa, len, offset, prot);
    if (bad !== null) return { kind: 'invalid', reason: bad };
    const clash = this.maps.firstOverlap(gpa, len);
    if (clash !== null) return { kind: 'overlap', gpa, len, existing: { gpa: clash.gpa, len: clash.len } };
    const rights = prot & PROT_WRITE ? prot | PROT_READ : prot;
    return this.gen.change(() => {
      object.reference();
      this.maps.insert({ object, gpa, len, offset, prot: rights });
      const r = this.gpt.populate(gpa, len);
      this.ringLog?.mapped(this.pmap, this.maps, gpa, len);
      this.counters.maps++;
      if (this.sink.enabled) this.sink.emit({ type: 'vm-map', gpa, len, object: object.name, prot: rights });
      this.sweep();
      return { kind: 'ok', unbacked: r.kind === 'ok' ? 0 : r.unbacked };
    });
  }

  private checkMapRequest(
    object: VmObject,
    gpa: number,
    len: number,
    offset: number,
    prot: Prot,
  ): string | null {
    if (object.isFreed) return 'the object has been freed';
    if (gpa % PAGE_SIZE !== 0 || len % PAGE_SIZE !== 0 || offset % PAGE_SIZE !== 0)
      return 'gpa, len and offset must be page-aligned';
    if (!(len > 0) || gpa < 0 || offset < 0) return 'empty or negative range';
    if (gpa + len > this.limit) return `range ends above the vmspace limit ${hex(this.limit)}`;
    if (offset + len > object.size) return `range runs past the end of object ${object.name}`;
    if (prot === 0 || (prot & ~PROT_ALL) !== 0) return 'prot must be a non-empty set of R, W, X';
    if (object.isMmio && object.apertureBase < this.mem.bytes)
      return 'an MMIO aperture must lie above host RAM';
    return null;
  }

  /**
   * Unmap the mapping that is exactly [gpa, gpa + len): clear its PTEs, vacate its tables, drop
   * the mapping's object reference (holds on the region take their own first).
   */
  unmap(gpa: Gpa, len: number): UnmapResult {
    this.assertAlive();
    const m = this.maps.findRange(gpa, len);
    if (m === null || m.gpa !== gpa || m.len !== len) return { kind: 'nomap', gpa, len };
    return this.gen.change(() => {
      for (const c of this.clientList) c.spaceUnmap(gpa, len, m.object);
      const cleared = this.gpt.unmapRegion(gpa, len);
      if (cleared > 0) this.gen.noteRemoved(gpa, len);
      this.gpt.vacate(gpa, len);
      this.maps.remove(m);
      m.object.release();
      this.counters.unmaps++;
      if (this.sink.enabled) this.sink.emit({ type: 'vm-unmap', gpa, len });
      this.sweep();
      return { kind: 'ok', cleared };
    });
  }

  /** Make every page of [gpa, gpa + len) resident; the range must lie inside one mapping. */
  populate(gpa: Gpa, len: number): PopulateResult {
    this.assertAlive();
    assert(
      gpa % PAGE_SIZE === 0 && len % PAGE_SIZE === 0 && len > 0,
      'vmspace populate: range not page-aligned',
    );
    const m = this.maps.findRange(gpa, len);
    if (m === null) return { kind: 'nomap', gpa, len };
    let mapped = 0;
    for (let a = gpa as number; a < gpa + len; a += PAGE_SIZE) {
      const frame = m.object.frameAt(objectOffset(m, a));
      if (frame === -1) return { kind: 'exhausted', mapped };
      const st = this.gpt.mapAt(toGpa(a), frame, m.prot, m.object.memType);
      assert(st !== 'unpopulated', 'vmspace populate: a mapped page is not populated in the GPT');
      if (st === 'exhausted') return { kind: 'exhausted', mapped };
      if (st === 'mapped') mapped++;
    }
    if (mapped > 0) this.counters.populates++;
    this.sweep();
    return { kind: 'ok', mapped };
  }

  /* ---- faults ---- */

  /**
   * A nested page fault at gpa for `access` (reported by `client`, 0 for none): look the page up
   * and map it (see the essay). Counted and reported as a 'fault' event, which carries `gva`
   * when the caller knows the guest-virtual access behind it, and `pc` and `insns` when it knows
   * the instruction (`site`, a fill's).
   */
  fault(gpa: Gpa, access: AccessKind, client = 0, gva?: Gva, site?: AccessSite): FaultResult {
    this.assertAlive();
    const page = pageAlignDown(gpa);
    const r = this.lookupMap(page, accessProt(access));
    this.counters.faultsByAccess[access]++;
    this.counters.faultsByResult[r.kind]++;
    if (this.sink.enabled) {
      if (r.kind === 'exhausted') this.sink.emit({ type: 'fault-exhausted', client, gpa: page, access });
      else
        this.sink.emit({
          type: 'fault',
          client,
          gpa: page,
          access,
          result: r.kind,
          ...(r.kind === 'mapped' ? { hfn: r.hfn } : r.kind === 'mmio' ? { hfn: r.hpa / PAGE_SIZE } : {}),
          ...(gva === undefined ? {} : { gva }),
          ...(site === undefined ? {} : { pc: site.pc, insns: site.insns }),
        });
    }
    return r;
  }

  /** @internal lookup-and-map of one page for `need` rights (fault and hold). */
  lookupMap(page: Gpa, need: Prot): FaultResult {
    const m = this.maps.find(page);
    if (m === null) return { kind: 'nomap', gpa: page };
    if ((m.prot & need) !== need) return { kind: 'rights', gpa: page, prot: m.prot };
    const obj = m.object;
    const off = objectOffset(m, page);
    let frame = obj.frameAt(off); // a memory page's first need takes its frame
    let prot = m.prot;
    const breaker = this.shareBreaker ?? sharedAccess;
    if (frame !== -1 && obj.isSharedAt(off)) ({ frame, prot } = breaker(this, page, m, need));
    if (frame === -1) return { kind: 'exhausted', gpa: page };
    const st = this.gpt.mapAt(page, frame, prot, obj.memType);
    if (st === 'unpopulated') broken(`vmspace: mapped page ${hex(page)} is not populated in the GPT`);
    if (st === 'exhausted') return { kind: 'exhausted', gpa: page };
    const pte = this.gpt.leafPte(page) as Hpa;
    this.sweep();
    if (obj.isMmio)
      return { kind: 'mmio', gpa: page, hpa: (frame * PAGE_SIZE) as Hpa, object: obj, prot: m.prot, pte };
    return { kind: 'mapped', gpa: page, hfn: frame, prot: m.prot, pte };
  }

  /* ---- withheld rights: a debugger's watched pages ---- */

  /**
   * Withhold rights on one page: its leaf keeps only `keep` (gpt-rights.ts), or is cleared when the
   * format cannot refuse a right otherwise (nPT, stage-2 reads), so that an access needing one is a nested
   * fault, which the caller keeps from fault() (it would map the page back with its full rights)
   * until it relaxes the page. Moves the generation. */
  restrictPage(page: Gpa, keep: Prot): void {
    this.assertAlive();
    this.gen.change(() => {
      this.restricted.set(page, keep);
      const now = setLeafRights(this.gpt, page, keep);
      if (now !== null && (now === 0 || (now & ~keep) !== 0)) this.gpt.unmap(page);
      if (now !== null) this.gen.noteRemoved(page, PAGE_SIZE);
      this.sweep();
    });
  }

  isRestricted(page: Gpa): boolean {
    return this.restricted.has(page);
  }

  /** Give a restricted page its mapping's rights back (a leaf cleared meanwhile faults in later). */
  relaxPage(page: Gpa): void {
    if (!this.restricted.delete(page)) return;
    const m = this.maps.find(page);
    if (m !== null) setLeafRights(this.gpt, page, m.prot);
    this.sweep();
  }

  /* ---- accessed / dirty ---- */

  /** Dirty tracking on or off (an administrative change; turning it on moves the generation). */
  setDirtyTracking(on: boolean): boolean {
    this.assertAlive();
    const want = on && this.gpt.canTrackDirty;
    if (want === this.tracking) return this.tracking;
    this.gen.change(() => {
      this.tracking = want;
      // cached translations may carry write rights granted while Dirty was not watched
      if (want) this.gen.noteRemoved(0, this.limit);
    });
    return this.tracking;
  }

  /**
   * Dirty-log harvest, get and clear, over [gpa, gpa + len): bit i of `bitmap` (byte i >> 3, bit
   * i & 7) is set for each page i written since the last harvest; other bits are left alone.
   * Returns the number of dirty pages, or DIRTY_TRACKING_OFF (-1) when tracking is off.
   */
  harvestDirty(gpa: Gpa, len: number, bitmap: Uint8Array): number {
    this.assertAlive();
    assert(
      gpa % PAGE_SIZE === 0 && len % PAGE_SIZE === 0 && len > 0,
      'vmspace harvest: range not page-aligned',
    );
    assert(bitmap.length * 8 >= len / PAGE_SIZE, 'vmspace harvest: bitmap too small');
    if (!this.tracking) return DIRTY_TRACKING_OFF;
    return this.gen.change(() => {
      const n =
        this.ringLog?.harvest(this.gpt, this.pmap, this.maps, this.clientList, gpa, len, bitmap) ??
        harvestRange(this.gpt, this.pmap, this.maps.overlapping(gpa, len), gpa, len, bitmap);
      // a harvest that found a dirty page may have taken write from a cached translation
      if (n > 0) this.gen.noteRemoved(gpa, len);
      this.counters.harvests++;
      if (this.sink.enabled) this.sink.emit({ type: 'harvest', gpa, len, dirty: n });
      this.sweep();
      return n;
    });
  }

  /** Clear Accessed (and with it Dirty, kept in the frame attribute) over a range; returns pages reset. */
  resetAccessed(gpa: Gpa, len: number): number {
    this.assertAlive();
    assert(
      gpa % PAGE_SIZE === 0 && len % PAGE_SIZE === 0 && len > 0,
      'vmspace reset: range not page-aligned',
    );
    return this.gen.change(() => {
      const n = resetAccessedRange(this.gpt, this.mem, this.pmap, gpa, len);
      if (n > 0) this.gen.noteRemoved(gpa, len);
      this.counters.accessedResets++;
      this.sweep();
      return n;
    });
  }

  /** pmap.disconnect: clear every PTE (of any table owner) that maps host frame f; returns how many. */
  disconnectFrame(f: Hfn): number {
    this.assertAlive();
    return this.gen.change(() => {
      const n = this.pmap.disconnect(f);
      this.counters.disconnects++;
      this.sweep();
      return n;
    });
  }

  /** @internal a write hold is released: mark its page dirty as a hardware write would. */
  markHeldDirty(gpa: Gpa, f: Hfn): boolean {
    return markWritten(this.gpt, this.pmap, this.tracking, gpa, f, this.ringLog?.ring ?? null);
  }

  /* ---- teardown and checks ---- */

  /** Unmap every mapping, orphan the remaining clients, free the GPT. */
  destroy(): void {
    this.assertAlive();
    for (const m of [...this.maps.all()]) this.unmap(m.gpa, m.len);
    for (const c of [...this.clientList]) c.spaceOrphan();
    this.clientList.length = 0;
    this.gpt.free();
    this.dead = true;
  }

  private assertAlive(): void {
    assert(!this.dead, 'vmspace: used after destroy');
  }

  /* After each mutation with fullChecks() on: our own sweep (the GPT sweeps itself already). */
  private sweep(): void {
    if (fullChecks()) this.checkMappings();
  }

  /** Full sweep (see the essay), with the GPT's (which runs the pmap's). */
  checkInvariants(): void {
    this.gpt.checkInvariants();
    this.checkMappings();
  }

  private checkMappings(): void {
    const { maps, gpt, mem, restricted, clientList: clients, residentCount: resident } = this;
    checkMappings({ maps, gpt, mem, restricted, resident, clients, holds: this.counters.holds });
  }
}
