/*
 * The ring-mode harvest: the dirty log read from the dirty ring (dirty-ring.ts) instead of the
 * whole range, as a VMM with Intel PML reads the pages its vCPUs logged.
 *
 *   every vCPU's PML log ──drain──► dirty ring ──take(range)──► the range's pages (+ leaf hints)
 *   each page:  its leaf's Dirty state (cleared: write-protect / D)  ┐ the same three sources as
 *               its lost-dirty record (taken)                        │ the bitmap harvest
 *               modified attribute of its current frame (taken)      ┘ (dirty-log.ts)
 *
 * The leaves are read in one pass over the pages (Gpt.harvestPages): a page with a leaf hint (the
 * entry the fill hook set Dirty in, still valid under the table epoch, dirty-ring.ts) is read
 * there directly; one without is looked up from the root, or in the leaf table of the page before
 * it. The attributes are read in a second pass that runs only while some frame carries one
 * (pmap.modifiedFrames); a scratch flag per page, kept here, tells the second pass which pages the
 * first one counted already. Every source is taken when it is read, so a page the ring names twice
 * is reported by its first entry and costs its second one look.
 *
 * Why the ring names every page the bitmap harvest would find. A page's Dirty bit is set by
 * Gpt.markAccessed only, which answers the page when it sets it; the fill hook then logs it in its
 * vCPU's PML log, and the release of a write hold (the VMM's own write) pushes it into the ring
 * straight away. Every other source descends from a Dirty bit set since the last harvest: a
 * lost-dirty record, or a modified attribute left by an unmap, a steal, a disconnect or an Accessed
 * reset of a dirty leaf. What the ring may miss is a modified attribute carried by an object's
 * frames into a new mapping at another address (remapped after an unmap): Vmspace.map pushes those
 * pages when it maps. So both modes report the same set at every harvest
 * (test/mmu/vm/dirty-ring-harvest.test.ts checks it against a model).
 *
 * A page the ring names that is no longer dirty anywhere (its leaf was harvested through another
 * range, it was unmapped) costs one look and is not reported. The cost is the ring's length, never
 * the size of the range: per page taken, its ring entry, its leaf entry, its frame's attribute
 * byte and its bitmap bit.
 *
 * RingDirtyLog is the vmspace's side of it: the ring, the PML-full exit (pmlFull: the vCPU's log
 * drained into the ring, counted and traced as 'pml-full'), the drain of every log that each harvest
 * starts with, and the pages a new mapping brings in modified.
 *
 * Invariants: only the pages taken from the ring are read or changed; each is counted once.
 */

import type { Gpa } from '../addr.js';
import { PAGE_SIZE } from '../addr.js';
import type { EventSink, MmuEvent } from '../events.js';
import type { Gpt } from '../gpt/gpt.js';
import { ATTR_MODIFIED } from '../host/page-attributes.js';
import type { Pmap } from '../host/pmap.js';
import { DirtyRing } from './dirty-ring.js';
import type { VmClient } from './vm-client.js';
import type { VmCounters } from './vm-counters.js';
import type { MappingList } from './vm-mapping.js';
import { objectOffset } from './vm-mapping.js';

/** How harvests find dirty pages: reading the tables ('bitmap', the default) or this ring. */
export type DirtyLogMode = 'bitmap' | 'ring';
export const DIRTY_LOG_MODES: readonly DirtyLogMode[] = ['bitmap', 'ring'];

export class RingDirtyLog {
  readonly ring = new DirtyRing();
  /* One flag per page of the harvest under way (harvestRing's scratch; grows with the ring). */
  private found = new Uint8Array(1024);

  constructor(
    private readonly counters: VmCounters,
    private readonly sink: EventSink<MmuEvent>,
  ) {}

  /** A vCPU's PML log is full: the PML-full VM exit, which drains it into the ring. */
  pmlFull(c: VmClient): void {
    const entries = c.pml?.count ?? 0;
    this.drain(c);
    this.counters.pmlFullExits++;
    if (this.sink.enabled) this.sink.emit({ type: 'pml-full', client: c.id, entries });
  }

  /** Move a client's PML log into the ring (a harvest, a PML-full exit, the client going away). */
  drain(c: VmClient): void {
    const log = c.pml;
    if (log === null || log.count === 0) return;
    this.ring.pushAll(log.logged(), log.hints(), log.epoch);
    log.reset();
  }

  /** The harvest of [gpa, gpa + len) in ring mode: every log drained, then the ring's pages read. */
  harvest(
    gpt: Gpt,
    pmap: Pmap,
    maps: MappingList,
    clients: readonly VmClient[],
    gpa: Gpa,
    len: number,
    bitmap: Uint8Array,
  ): number {
    for (const c of clients) this.drain(c); // every page dirtied so far
    const pages = this.ring.take(gpa, len, gpt.tables.frameEpoch);
    if (this.found.length < pages.length) this.found = new Uint8Array(pages.length * 2);
    return harvestRing(gpt, pmap, maps, pages, this.ring.takenHints(), gpa, bitmap, this.found);
  }

  /** A new mapping: its object's frames may come back modified from an earlier one (see the essay). */
  mapped(pmap: Pmap, maps: MappingList, gpa: Gpa, len: number): void {
    modifiedPages(pmap, maps, gpa, len, (p) => this.ring.push(p));
  }
}

/**
 * Harvest the ring's `pages` (DirtyRing.take: any order, repeats allowed) with their leaf `hints`
 * (valid under the current table epoch, or NO_HINT) of the range that starts at `origin` into
 * `bitmap`, with `found` scratch room for one flag per page; returns how many were dirty. The leaves first (found[k] says which pages they reported), then, only while some frame
 * carries it, the modified attribute of the others' frames.
 */
export function harvestRing(
  gpt: Gpt,
  pmap: Pmap,
  maps: MappingList,
  pages: Float64Array,
  hints: Float64Array,
  origin: Gpa,
  bitmap: Uint8Array,
  found: Uint8Array,
): number {
  let n = gpt.harvestPages(pages, hints, origin, bitmap, found);
  for (let k = 0; k < pages.length && pmap.modifiedFrames > 0; k++) {
    const page = pages[k] as Gpa;
    if (!takeModifiedPage(pmap, maps, page) || found[k] !== 0) continue;
    const i = (page - origin) / PAGE_SIZE;
    bitmap[i >>> 3] |= 1 << (i & 7);
    n++;
  }
  return n;
}

/* The modified attribute of the frame that backs `page` now: true when it was set (it is taken). */
function takeModifiedPage(pmap: Pmap, maps: MappingList, page: Gpa): boolean {
  if (pmap.modifiedFrames === 0) return false;
  const m = maps.find(page);
  if (m === null || m.object.isMmio) return false;
  const f = m.object.currentFrame(objectOffset(m, page));
  if (f === -1 || (pmap.attributes(f) & ATTR_MODIFIED) === 0) return false;
  pmap.clearAttributes(f, ATTR_MODIFIED);
  return true;
}

/** Pages of a new mapping [gpa, gpa + len) whose frames arrive modified, for the ring (see the essay). */
export function modifiedPages(
  pmap: Pmap,
  maps: MappingList,
  gpa: Gpa,
  len: number,
  push: (page: Gpa) => void,
): void {
  if (pmap.modifiedFrames === 0) return;
  const m = maps.find(gpa);
  if (m === null || m.object.isMmio) return;
  for (let a = gpa as number; a < gpa + len; a += PAGE_SIZE) {
    const f = m.object.currentFrame(objectOffset(m, a));
    if (f !== -1 && (pmap.attributes(f) & ATTR_MODIFIED) !== 0) push(a as Gpa);
  }
}
