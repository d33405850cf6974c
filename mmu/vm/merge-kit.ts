/*
 * The merge kit: same-page merging in pieces, for a merger written outside nestvm (the `merge`
 * lab's student code, in JavaScript). The built-in scanner (merge-scan.ts, vmspace-merge.ts) does
 * each step itself; the kit hands the steps out one by one, so that a merger built on it does the
 * scan, the compare, the remap and the copy on write, and can get each of them wrong in the way
 * a hypervisor can: the kit checks its arguments, not the merger's logic.
 *
 *   reading       candidate(vm, gpa)    the page's own frame when it may be merged now, else -1
 *                 frameOf(vm, gpa)      the page's frame as it is (-1: none yet); isShared(frame)
 *                 hash(frame)           the host's page hash (a hint: equal hashes, maybe other bytes)
 *                 words(frame)          the frame's 1024 32-bit words (a view: read it, never write)
 *                 leaf(vm, gpa)         the present nested leaf: { pte, frame, writable }, or null
 *                 pvList(frame)         the PTE locations on the frame's PV list
 *   changing      share(vm, gpa, s)     the page uses shared frame s (s its own frame for the first
 *                                       of a group); its own frame goes back to the host
 *                 unshare(vm, gpa)      the page gets a fresh frame with a copy of the shared one
 *                 writeLeaf(vm, gpa, frame, writable)
 *                                       rewrite the present leaf in place, with the mapping's rights,
 *                                       less write when `writable` is false; every TLB that may
 *                                       hold the old entry is flushed. The PV lists are NOT changed:
 *                 pvRemove(frame, pte), pvEnter(frame, pte)
 *                                       what the pmap does when it clears or installs a leaf
 *
 * The seam (page-merger.ts): attach(merger) installs the merger's writeFault(vm, gpa) as each
 * vmspace's shareBreaker, and returns the PageMerger the host run calls (its pass). On a write to
 * a merged page the vmspace calls writeFault; on return the page must use a frame of its own, and
 * its leaf, if present, must map that frame with write. A writeFault that leaves it otherwise is
 * recorded in `problem` and the fault maps nothing (the guest stops, exhausted), never an
 * invariant breach of nestvm's. A read of a merged page that has no leaf maps the shared frame
 * without write, as the built-in does.
 *
 * Hashes: 'full' is merge-scan.ts's hashFrame; 'sampled' hashes the first 64 bytes only, as a cheap
 * checksum might, so that pages with other bytes further on collide (the lab's full-compare check).
 * Counters: hashes computed, write faults handed to the merger.
 */
import type { Gpa, Hfn, Hpa } from '../addr.js';
import { PAGE_SIZE, hex } from '../addr.js';
import { newWords } from '../gpt/entry-format.js';
import type { HostMemory } from '../host/host-memory.js';
import type { Pmap } from '../host/pmap.js';
import { ATTR_MODIFIED, ATTR_REFERENCED } from '../host/page-attributes.js';
import { PROT_WRITE, type Prot } from '../prot.js';
import type { FrameShares } from './frame-shares.js';
import { hashFrame, type MergeRange } from './merge-scan.js';
import type { PageMerger } from './page-merger.js';
import { objectOffset, type VmMapping } from './vm-mapping.js';
import { mergeCandidate } from './vmspace-merge.js';

export type KitHash = 'full' | 'sampled';

/** What a merger written on the kit provides. */
export interface KitMerger {
  pass(pages: number): number;
  writeFault(vm: number, gpa: number): void;
}

export interface KitLeaf {
  readonly pte: Hpa;
  readonly frame: Hfn;
  readonly writable: boolean;
}

const SAMPLE_WORDS = 16;

export class MergeKit {
  readonly counters = { hashes: 0, writeFaults: 0 };
  /** The first broken promise of the merger's writeFault, in words; null while there is none. */
  problem: string | null = null;
  private readonly w = newWords();

  constructor(
    private readonly ranges: readonly MergeRange[],
    private readonly shares: FrameShares,
    private readonly mem: HostMemory,
    private readonly pmap: Pmap,
    readonly hashKind: KitHash = 'full',
  ) {}

  get vms(): number {
    return this.ranges.length;
  }

  ramBase(vm: number): number {
    return this.range(vm).gpa;
  }

  ramPages(vm: number): number {
    return this.range(vm).pages;
  }

  candidate(vm: number, gpa: number): Hfn | -1 {
    return mergeCandidate(this.range(vm).space, this.page(vm, gpa));
  }

  frameOf(vm: number, gpa: number): Hfn | -1 {
    const { m, off } = this.mapping(vm, gpa);
    return m.object.currentFrame(off);
  }

  isShared(frame: number): boolean {
    return this.shares.isShared(this.frame(frame));
  }

  hash(frame: number): number {
    const f = this.frame(frame);
    this.counters.hashes++;
    if (this.hashKind === 'full') return hashFrame(this.mem, f);
    let h = 0x811c9dc5;
    for (let i = f * (PAGE_SIZE / 4), end = i + SAMPLE_WORDS; i < end; i++)
      h = Math.imul(h ^ this.mem.u32[i], 0x01000193);
    return h >>> 0;
  }

  words(frame: number): Uint32Array {
    const f = this.frame(frame);
    return this.mem.u32.subarray(f * (PAGE_SIZE / 4), (f + 1) * (PAGE_SIZE / 4));
  }

  leaf(vm: number, gpa: number): KitLeaf | null {
    const l = this.range(vm).space.gpt.lookup(this.page(vm, gpa));
    return l === null ? null : { pte: l.pte, frame: l.frame, writable: (l.prot & PROT_WRITE) !== 0 };
  }

  pvList(frame: number): Hpa[] {
    return this.pmap.mappings(this.frame(frame));
  }

  share(vm: number, gpa: number, s: number): void {
    const own = this.candidate(vm, gpa);
    if (own === -1) throw new Error(`share: page ${hex(gpa)} of VM ${vm} is no merge candidate now`);
    if (s !== own && !this.isShared(s))
      throw new Error(`share: frame ${s} is neither the page's own frame nor a shared one`);
    const { m, off } = this.mapping(vm, gpa);
    m.object.shareFrame(off, s as Hfn);
  }

  unshare(vm: number, gpa: number): Hfn | -1 {
    const { m, off } = this.mapping(vm, gpa);
    if (!m.object.isSharedAt(off)) throw new Error(`unshare: page ${hex(gpa)} of VM ${vm} is not merged`);
    return m.object.unshareFrame(off, this.mem);
  }

  writeLeaf(vm: number, gpa: number, frame: number, writable: boolean): void {
    const space = this.range(vm).space;
    const page = this.page(vm, gpa);
    const f = this.frame(frame);
    const old = space.gpt.lookup(page);
    if (old === null) throw new Error(`writeLeaf: page ${hex(page)} of VM ${vm} has no leaf`);
    if (this.pmap.isTable(f)) throw new Error(`writeLeaf: frame ${f} holds a page table`);
    const { m } = this.mapping(vm, page);
    const prot: Prot = writable ? m.prot : m.prot & ~PROT_WRITE;
    space.format.leaf(this.w, f, prot, m.object.memType);
    // the old entry's Accessed and Dirty go to its frame, as clearing a leaf would do
    const ad = (old.accessed ? ATTR_REFERENCED : 0) | (old.dirty ? ATTR_MODIFIED : 0);
    if (ad !== 0) this.pmap.setAttributes(old.frame, ad);
    this.pmap.updateLeaf(old.pte, this.w.lo, this.w.hi);
    space.gpt.onInvalidate?.(page, PAGE_SIZE);
  }

  pvEnter(frame: number, pte: number): void {
    const f = this.frame(frame);
    if (!this.pmap.isLeafInstalled(pte as Hpa)) throw new Error(`pvEnter: ${hex(pte)} is not a leaf entry`);
    if (this.pvList(f).includes(pte as Hpa))
      throw new Error(`pvEnter: ${hex(pte)} is on frame ${f}'s list already`);
    this.pmap.heads.enter(f, pte as Hpa);
  }

  pvRemove(frame: number, pte: number): void {
    const f = this.frame(frame);
    if (!this.pvList(f).includes(pte as Hpa))
      throw new Error(`pvRemove: ${hex(pte)} is not on frame ${f}'s PV list`);
    this.pmap.heads.remove(f, pte as Hpa);
  }

  /** The seam: the merger's writeFault serves every VM's faults on merged pages; returns its pass. */
  attach(merger: KitMerger): PageMerger {
    this.ranges.forEach(({ space }, vm) => {
      space.shareBreaker = (_s, page, m, need) => this.breakShare(merger, vm, page, m, need);
    });
    return { pass: (pages) => Number(merger.pass(pages)) || 0 };
  }

  private breakShare(merger: KitMerger, vm: number, page: Gpa, m: VmMapping, need: Prot) {
    const off = objectOffset(m, page);
    const shared = m.object.currentFrame(off) as Hfn;
    if ((need & PROT_WRITE) === 0) return { frame: shared, prot: m.prot & ~PROT_WRITE };
    this.counters.writeFaults++;
    merger.writeFault(vm, page);
    const own = m.object.currentFrame(off);
    const at = `writeFault(${vm}, ${hex(page)})`;
    if (own === -1 || m.object.isSharedAt(off)) return this.broken(`${at} left the page on a shared frame`);
    const leaf = this.range(vm).space.gpt.lookup(page);
    if (leaf !== null && leaf.frame !== own)
      return this.broken(`${at} left its leaf on frame ${leaf.frame}, not on the page's own frame ${own}`);
    if (leaf !== null && (leaf.prot & PROT_WRITE) === 0)
      return this.broken(`${at} left its leaf without write`);
    return { frame: own, prot: m.prot };
  }

  private broken(what: string): { frame: -1; prot: Prot } {
    this.problem ??= what;
    return { frame: -1, prot: 0 as Prot };
  }

  private range(vm: number): MergeRange {
    const r = this.ranges[vm];
    if (!Number.isInteger(vm) || r === undefined)
      throw new Error(`there is no VM ${vm} (VMs 0..${this.vms - 1})`);
    return r;
  }

  private page(vm: number, gpa: number): Gpa {
    const r = this.range(vm);
    const end = r.gpa + r.pages * PAGE_SIZE;
    if (!Number.isInteger(gpa) || gpa % PAGE_SIZE !== 0 || gpa < r.gpa || gpa >= end)
      throw new Error(`${gpa} is not a page address of VM ${vm}'s RAM [${hex(r.gpa)}, ${hex(end)})`);
    return gpa as Gpa;
  }

  private mapping(vm: number, gpa: number): { m: VmMapping; off: number } {
    const page = this.page(vm, gpa);
    const m = this.range(vm).space.findMapping(page);
    if (m === null || !m.object.mergeable)
      throw new Error(`page ${hex(page)} of VM ${vm} is not mergeable RAM`);
    return { m, off: objectOffset(m, page) };
  }

  private frame(frame: number): Hfn {
    if (!Number.isInteger(frame) || frame < 0 || frame >= this.mem.frameCount)
      throw new Error(`${frame} is not a host frame number (0..${this.mem.frameCount - 1})`);
    return frame as Hfn;
  }
}
