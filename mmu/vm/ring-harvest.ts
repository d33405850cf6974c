/*
 * The ring-mode harvest: the dirty log read from the dirty ring (dirty-ring.ts) instead of the
 * whole range, as a VMM with Intel PML reads the pages its vCPUs logged.
 *
 *   every vCPU's PML log ──drain──► dirty ring ──take(range)──► the range's pages, as they came
 *   each page:  modified attribute of its current frame (taken)      ┐ the same three sources as
 *               its leaf's Dirty state (cleared: write-protect / D)  │ the bitmap harvest
 *               its lost-dirty record (taken)                        ┘ (dirty-log.ts)
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
 * the size of the range.
 *
 * RingDirtyLog is the vmspace's side of it: the ring, the PML-full exit (pmlFull: the vCPU's log
 * drained into the ring, counted and traced as 'pml-full'), the drain of every log that each harvest
 * starts with, and the pages a new mapping brings in modified.
 *
 * Invariants: only the pages taken from the ring are read or changed; each is counted once.
 */

import type { Gpa } from '../addr.js';
import { PAGE_SIZE } from '../addr.js';
import { fullChecks } from '../checks.js';
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
    this.ring.pushAll(log.logged());
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
    const n = harvestRing(gpt, pmap, maps, this.ring.take(gpa, len), gpa, bitmap);
    if (fullChecks()) gpt.checkInvariants(); // harvestPage leaves the sweep to us
    return n;
  }

  /** A new mapping: its object's frames may come back modified from an earlier one (see the essay). */
  mapped(pmap: Pmap, maps: MappingList, gpa: Gpa, len: number): void {
    modifiedPages(pmap, maps, gpa, len, (p) => this.ring.push(p));
  }
}

/** Harvest the ring's `pages` of the range that starts at `origin` into `bitmap`; returns how many were dirty. */
export function harvestRing(
  gpt: Gpt,
  pmap: Pmap,
  maps: MappingList,
  pages: Float64Array,
  origin: Gpa,
  bitmap: Uint8Array,
): number {
  let n = 0;
  for (let k = 0; k < pages.length; k++) {
    const page = pages[k] as Gpa;
    const modified = takeModifiedPage(pmap, maps, page);
    if (modified) {
      const i = (page - origin) / PAGE_SIZE;
      bitmap[i >>> 3] |= 1 << (i & 7);
    }
    const leaf = gpt.harvestPage(page, origin, bitmap);
    if (modified || leaf !== 0) n++;
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
