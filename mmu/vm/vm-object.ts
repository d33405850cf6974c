/*
 * VM objects: what a vmspace mapping is a window onto.
 *
 * An object is a run of pages that can be mapped into guest-physical space. There are two kinds:
 *
 *   memory  guest RAM. Its size is reserved in the reservoir when the object is made (the
 *           reservoir answers 'exhausted' as a value when it cannot), but a page gets its host
 *           frame only when it is first needed: frameAt() takes one from the reservoir (zeroed
 *           then, demand-zero) and keeps it for the page from then on. Page i lives in
 *           frames[i], or in no frame yet (NO_FRAME); the frames need not be contiguous and,
 *           in the scattered host layout, are in no order at all. Memory type write-back.
 *   mmio    a device window. Its pages are the frames of a host-physical aperture placed above
 *           host RAM (base .. base + size); page i is frame base/4096 + i. Unicorn maps each
 *           aperture as an MMIO region, so an access there reaches the device model. Memory type
 *           uncached. Nothing is allocated and nothing is given back.
 *
 *     object offset   0        4K       8K       12K
 *                     +--------+--------+--------+
 *     memory          | f=91   |  none  | f=40   |   frames[] from the reservoir, any order, on demand
 *                     +--------+--------+--------+
 *     mmio            | A      | A+1    | A+2    |   A = aperture base / 4096 (>= host frames)
 *                     +--------+--------+--------+
 *
 * Overcommit (reclaim.ts). A memory object made with `frames` below its page count reserves only
 * that many frames: more pages than frames. Once a pager (the Reclaimer) is attached, a page that
 * finds the reservoir empty has the pager evict some other page first -- that page's frame goes
 * back to the reservoir, and pageEvicted() forgets it here -- and every page that gets a frame is
 * handed to the pager (pageIn), which fills it from the swap store if the page was swapped out.
 *
 * Merged pages (frame-shares.ts, merge-scan.ts). An object made with a FrameShares book lets the
 * merge scanner move a page onto a frame several pages share (shareFrame: the page's own frame
 * goes back to the reservoir unless it is the shared one), and lets a write break the share again
 * (unshareFrame: a fresh frame with a copy of the content). A shared frame is the book's, not the
 * page's: freeing the object leaves it to the book. It stays the keeper's reclaim candidate, and
 * an eviction of it reaches every page that uses it (sharedEvicted: each keeps a swap copy).
 *
 * Supplied pages (page-supplier.ts, post-copy migration). A fully backed object may have a
 * supplier attached at any time, frames or none: while one is attached, frameAt asks it whether
 * the page is absent and, if so, has it fill the page's frame first, whether the frame is new or
 * was taken earlier (a page whose old copy is stale is absent too). Detached, frameAt is as before.
 *
 * Quota (a host several overcommitted VMs share, nested-host.ts): an object made with `quota` never
 * has more pages with a frame than it reserved; at its quota a page first has the pager evict one
 * of the object's own. Every frame in use is used by at least one page, so the reservoir then
 * never runs dry under any object, and no VM can take the frames another one needs.
 *
 * Reference counting (the seed's rules, single-threaded): an object starts with one reference,
 * owned by whoever made it. Every vmspace mapping of it takes a reference of its own, and so does
 * every page hold that outlives the unmapping of its region. release() drops one; the last release
 * frees the object: a memory object's frames go back to the reservoir (and their referenced /
 * modified attributes are wiped when a pmap was given, so the next owner starts clean), and then
 * its reservation.
 *
 * Invariants: refcount >= 0, and a freed object (refcount 0) is never referenced, released or
 * asked for a frame again (asserts); frameAt(off) and currentFrame(off) are defined exactly for
 * 0 <= off < size; a page's frame, once taken, changes only by eviction, shareFrame or
 * unshareFrame; backedPages = pages that have a frame.
 */

import type { Hfn, Hpa } from '../addr.js';
import { PAGE_SIZE, hex } from '../addr.js';
import { assert, broken } from '../checks.js';
import type { EventSink, MmuEvent } from '../events.js';
import { nullSink } from '../events.js';
import type { HostMemory } from '../host/host-memory.js';
import type { Pmap } from '../host/pmap.js';
import type { Reservoir } from '../host/reservoir.js';
import type { MemType } from '../prot.js';
import type { FrameShares, SharedPageOwner } from './frame-shares.js';
import type { PageSupplier } from './page-supplier.js';

/** frames[i] of a page that has no host frame yet. */
const NO_FRAME = 0xffff_ffff;

export type VmObjectKind = 'mem' | 'mmio';

export interface VmObjectOptions {
  /** Shown in events and the TUI, e.g. "ram", "uart". */
  name?: string;
  sink?: EventSink<MmuEvent>;
}

export interface MemoryObjectOptions extends VmObjectOptions {
  /** When given, the frames' referenced/modified attributes are cleared when the object is freed. */
  pmap?: Pmap;
  /** Frames to reserve when fewer than the pages (overcommit: attach a pager); default all. */
  frames?: number;
  /** The host's book of shared frames: given, the merge scanner may merge this object's pages. */
  shares?: FrameShares;
  /** The VM whose guest memory this is (events and reports; default 0). */
  vm?: number;
  /** Never more pages with a frame than frames reserved (see the essay); needs a pager. */
  quota?: boolean;
}

/** What an overcommitted object asks of its pager (mmu/vm/reclaim.ts's Reclaimer). */
export interface ObjectPager {
  register(obj: { name: string; pages: number; source: unknown; pageEvicted(page: number): void }): number;
  unregister(id: number): void;
  /** Free one frame by evicting some page; false when none may go. */
  evictOne(): boolean;
  /** Page `page` of object `id` got the fresh frame f (swap-in if it was swapped out). */
  pageIn(id: number, page: number, f: Hfn): void;
  /** The object gives frame f back itself. */
  forget(f: Hfn): void;
  /** Page `page` of object `id` is swapped out with content `bytes` (its shared frame was evicted). */
  keepCopy(id: number, page: number, bytes: Uint8Array): void;
  /** Page `page` of object `id` uses frame f, which becomes its candidate (a shared frame's keeper). */
  adopt(id: number, page: number, f: Hfn): void;
}

/** A memory object could not be made: the reservoir had too few frames. */
export interface ObjectExhausted {
  kind: 'exhausted';
  wanted: number;
  free: number;
}

export class VmObject {
  /** Shown in events; defaults to where the object lives ("mem@f12", "mmio@0x1000000"), so runs agree. */
  readonly name: string;
  readonly pages: number;
  readonly memType: MemType;
  private refs = 1;
  private backed = 0;
  private pager: ObjectPager | null = null;
  private pagerId = -1;
  private supplier: PageSupplier | null = null;
  private readonly sink: EventSink<MmuEvent>;
  private readonly shares: FrameShares | null;
  private readonly quota: boolean;
  /* this object as the book of shared frames sees it */
  private readonly sharer: SharedPageOwner;
  /* memory: the frame of each page (NO_FRAME until first needed); mmio: null */
  private frames: Uint32Array | null;

  private constructor(
    readonly kind: VmObjectKind,
    readonly size: number,
    /* memory: the frames set aside for it, page by page (the identity layout's hints); mmio: null */
    private readonly home: Uint32Array | null,
    /* mmio: first aperture frame; memory: -1 */
    private readonly apertureFrame: number,
    private readonly reservoir: Reservoir | null,
    private readonly pmap: Pmap | null,
    opts: VmObjectOptions,
  ) {
    this.pages = size / PAGE_SIZE;
    this.memType = kind === 'mem' ? 'wb' : 'uc';
    this.frames = home === null ? null : new Uint32Array(this.pages).fill(NO_FRAME);
    this.name = opts.name ?? (home !== null ? `mem@f${home[0]}` : `mmio@${hex(apertureFrame * PAGE_SIZE)}`);
    this.sink = opts.sink ?? nullSink;
    this.shares = (opts as MemoryObjectOptions).shares ?? null;
    this.quota = (opts as MemoryObjectOptions).quota ?? false;
    this.sharer = {
      name: this.name,
      vm: (opts as MemoryObjectOptions).vm ?? 0,
      pageable: () => this.pager !== null,
      sharedEvicted: (page, bytes) => this.sharedEvicted(page, bytes),
      candidate: (page, f, on) => {
        if (this.pager === null) return;
        if (on) this.pager.adopt(this.pagerId, page, f);
        else this.pager.forget(f);
      },
    };
  }

  /** Guest RAM of `size` bytes (a positive multiple of PAGE_SIZE), reserved in the reservoir. */
  static memory(
    reservoir: Reservoir,
    size: number,
    opts: MemoryObjectOptions = {},
  ): VmObject | ObjectExhausted {
    checkSize(size);
    const r = reservoir.reserve(Math.min(size / PAGE_SIZE, opts.frames ?? Infinity));
    if (r.kind === 'exhausted') return r;
    return new VmObject('mem', size, r.frames, -1, reservoir, opts.pmap ?? null, opts);
  }

  /** A device window: `size` bytes of the host-physical aperture at `base` (page-aligned). */
  static mmio(base: Hpa, size: number, opts: VmObjectOptions = {}): VmObject {
    checkSize(size);
    assert(base % PAGE_SIZE === 0 && base >= 0, 'vm object: aperture base must be page-aligned');
    assert(Number.isSafeInteger(base + size), 'vm object: aperture outside the address space');
    return new VmObject('mmio', size, null, base / PAGE_SIZE, null, null, opts);
  }

  get refcount(): number {
    return this.refs;
  }

  get isFreed(): boolean {
    return this.refs === 0;
  }

  get isMmio(): boolean {
    return this.kind === 'mmio';
  }

  /** Host-physical base of an MMIO object's aperture (-1 for memory). */
  get apertureBase(): number {
    return this.apertureFrame < 0 ? -1 : this.apertureFrame * PAGE_SIZE;
  }

  reference(): void {
    assert(this.refs > 0, `vm object ${this.name}: referencing a freed object`);
    this.refs++;
  }

  /** Drop one reference; true when that was the last one and the object is now freed. */
  release(): boolean {
    assert(this.refs > 0, `vm object ${this.name}: released more often than referenced`);
    if (--this.refs > 0) return false;
    this.free();
    return true;
  }

  /** Frames reserved for a memory object (its pages, or fewer when overcommitted). */
  get reservedFrames(): number {
    return this.home === null ? 0 : this.home.length;
  }

  /** Let `pager` evict this object's pages when the reservoir runs dry (before any page has a frame). */
  attachPager(pager: ObjectPager): void {
    assert(
      this.frames !== null && this.pager === null,
      `vm object ${this.name}: a pager for a memory object, once`,
    );
    assert(this.backed === 0, `vm object ${this.name}: a pager must come before the first frame`);
    this.pager = pager;
    this.pagerId = pager.register({
      name: this.name,
      pages: this.pages,
      source: this,
      pageEvicted: (page) => {
        assert(this.frames![page] !== NO_FRAME, `vm object ${this.name}: evicted page had no frame`);
        this.frames![page] = NO_FRAME;
        this.backed--;
      },
    });
  }

  /** Have `s` fill absent pages at their first need from now on (a fully backed memory object, no pager). */
  attachSupplier(s: PageSupplier): void {
    assert(
      this.frames !== null && this.pager === null && this.supplier === null,
      `vm object ${this.name}: a supplier for a fully backed memory object without a pager, once`,
    );
    assert(this.home!.length === this.pages, `vm object ${this.name}: a supplier needs every page backed`);
    this.supplier = s;
  }

  /** Drop the supplier (every page it knew of is present). */
  detachSupplier(): void {
    this.supplier = null;
  }

  /** The pager's id for this object (-1: none attached). */
  get pagerIndex(): number {
    return this.pagerId;
  }

  /** Pages of a memory object that have a host frame (an MMIO object's are all there). */
  get backedPages(): number {
    return this.frames === null ? this.pages : this.backed;
  }

  /**
   * The host frame holding the page at byte offset `off` (any offset inside that page). A memory
   * page without one takes a zeroed frame from the reservoir now; -1 when the reservoir has none.
   */
  frameAt(off: number): Hfn | -1 {
    const page = this.pageOf(off);
    const frames = this.frames;
    if (frames === null) return (this.apertureFrame + page) as Hfn;
    const f = frames[page];
    if (f !== NO_FRAME) {
      if (this.supplier?.absent(page)) this.supplier.supply(page, f as Hfn);
      return f as Hfn;
    }
    const hint = page < this.home!.length ? this.home![page] : -1;
    while (this.quota && this.backed >= this.home!.length) if (!this.pager?.evictOne()) return -1;
    let got = this.reservoir!.take(hint);
    while (got === -1 && this.pager?.evictOne()) got = this.reservoir!.take(hint);
    if (got === -1) return -1;
    frames[page] = got;
    this.backed++;
    this.pager?.pageIn(this.pagerId, page, got);
    if (this.supplier?.absent(page)) this.supplier.supply(page, got);
    return got;
  }

  /** The page's host frame as it is now, without taking one: -1 for a page that has none yet. */
  currentFrame(off: number): Hfn | -1 {
    const page = this.pageOf(off);
    if (this.frames === null) return (this.apertureFrame + page) as Hfn;
    const f = this.frames[page];
    return f === NO_FRAME ? -1 : (f as Hfn);
  }

  /** Whether the page at `off` uses a shared frame now (merged, write withheld everywhere). */
  isSharedAt(off: number): boolean {
    return this.shares !== null && this.shares.isShared(this.currentFrame(off));
  }

  /** Whether this object's pages may be merged (it was made with the host's FrameShares). */
  get mergeable(): boolean {
    return this.shares !== null && this.frames !== null;
  }

  /**
   * Merge: the page at `off` (which has a frame, not shared, mapped by no PTE now) uses the shared
   * frame s from now on. Its own frame is s itself (the keeper's), or goes back to the reservoir,
   * its referenced/modified attributes carried over to s first (the dirty log keeps the write).
   */
  shareFrame(off: number, s: Hfn): void {
    const page = this.pageOf(off);
    const frames = this.frames;
    const shares = this.shares;
    assert(frames !== null && shares !== null, `vm object ${this.name}: not mergeable`);
    const f = frames[page] as Hfn;
    assert(
      f !== NO_FRAME && !shares.isShared(f),
      `vm object ${this.name}: merging a page without its own frame`,
    );
    assert(f === s || shares.isShared(s), `vm object ${this.name}: merging onto a frame that is not shared`);
    if (f !== s) {
      this.pager?.forget(f); // the keeper's frame stays its candidate (frame-shares.ts)
      if (this.pmap !== null) {
        this.pmap.setAttributes(s, this.pmap.attributes(f));
        this.pmap.clearAttributes(f);
      }
      this.reservoir!.give(f);
      frames[page] = s;
    }
    shares.join(s, { owner: this.sharer, page });
  }

  /**
   * Break the share of the page at `off` (mapped by no PTE now): a fresh frame gets a copy of the
   * shared one and is the page's own from now on; the page leaves the book. -1 when no frame is
   * left for it (overcommitted and nothing may be evicted).
   */
  unshareFrame(off: number, mem: HostMemory): Hfn | -1 {
    const page = this.pageOf(off);
    const frames = this.frames!;
    const shares = this.shares!;
    const s = frames[page] as Hfn;
    assert(shares.isShared(s), `vm object ${this.name}: breaking a share of a page that has none`);
    let got = this.reservoir!.take(-1);
    while (got === -1 && this.pager?.evictOne()) got = this.reservoir!.take(-1);
    if (got === -1) return -1;
    mem.frameBytes(got).set(mem.frameBytes(s));
    frames[page] = got;
    this.pager?.pageIn(this.pagerId, page, got);
    shares.leave(s, this.sharer, page);
    shares.counters.cowBreaks++;
    return got;
  }

  /* Reclaim evicted the shared frame of the page: its content goes to the store, the frame goes. */
  private sharedEvicted(page: number, bytes: Uint8Array): void {
    assert(this.shares!.isShared(this.frames![page] as Hfn), `vm object ${this.name}: page is not shared`);
    this.pager!.keepCopy(this.pagerId, page, bytes);
    this.frames![page] = NO_FRAME;
    this.backed--;
  }

  /** Frames of a memory object, in page order, -1 for a page without one (a copy; for display and tests). */
  frameList(): number[] {
    return this.frames === null ? [] : Array.from(this.frames, (f) => (f === NO_FRAME ? -1 : f));
  }

  private pageOf(off: number): number {
    // twice a nested fault: the messages are built only when a check fails
    if (!(this.refs > 0)) broken(`vm object ${this.name}: frame lookup in a freed object`);
    if (!(off >= 0 && off < this.size))
      broken(`vm object ${this.name}: offset ${hex(off)} outside the object`);
    return Math.floor(off / PAGE_SIZE);
  }

  private free(): void {
    const frames = this.frames;
    if (frames !== null) {
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i] as Hfn;
        if (f === NO_FRAME) continue;
        if (this.shares?.isShared(f)) {
          this.shares.leave(f, this.sharer, i); // the book's frame: the last page to leave gives it back
          continue;
        }
        this.pager?.forget(f);
        this.pmap?.clearAttributes(f);
        this.reservoir!.give(f);
      }
      this.pager?.unregister(this.pagerId);
      this.reservoir!.release(this.home!.length);
      this.frames = null;
    }
    if (this.sink.enabled) this.sink.emit({ type: 'object-free', object: this.name, pages: this.pages });
  }
}

function checkSize(size: number): void {
  assert(
    Number.isSafeInteger(size) && size > 0 && size % PAGE_SIZE === 0,
    'vm object: size must be a positive multiple of PAGE_SIZE',
  );
}
