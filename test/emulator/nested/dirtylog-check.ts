/*
 * The host side of the KVM-style dirty-log test (used by dirtylog.test.ts and steal.test.ts).
 *
 * The guest (guests/<arch>/dirtylog.s) loops forever: iteration n picks a page of a 4 MiB test
 * region with a 64-bit LCG and stores n at the start of that page; n lives in a register (rbx,
 * x19) and is incremented after the store. checkDirtyLog runs the Machine in its slices, harvests
 * the dirty log between them, keeps its own copy of the region, and checks after every harvest:
 *
 *   no missed dirty page    every page whose content changed since the last harvest is in the
 *                           bitmap (a stale writable translation in Unicorn's TLB would let the
 *                           guest write without setting Dirty, and this fails);
 *   no invented dirty page  every page in the bitmap did change (each store writes a new value),
 *                           and nothing outside the region is dirty once the image was harvested
 *                           (unless allowSpurious: then such reports are only counted);
 *   values in their slice   a changed page holds a value written in this slice: n(k-1) <= v <= n(k);
 *   replay                  the host replays the generator: stores 1 .. n(k)-1 have all happened,
 *                           store n(k) may have (the guest may have stopped between store and
 *                           increment), nothing later has; the region must be exactly that.
 *
 * At the end, every page agrees with the harvested history: a page never reported holds 0, and a
 * page last reported in harvest k holds a value written during slice k. Failures throw (vitest's
 * expect), naming the harvest and the page.
 */
import { expect } from 'vitest';
import type { Machine, StopReason } from '../../../emulator/machine.js';
import { PAGE_SIZE } from '../../../mmu/addr.js';
import { bitmapPages, peek64, ramBase, reg } from './nested-harness.js';

/* The guest's parameters (guests/<arch>/dirtylog.s). */
export const DIRTYLOG_PAGES = 1024;
const REGION_OFF = 0x40_0000; // from RAM base
const FIRST = REGION_OFF / PAGE_SIZE; // page index of the region in guest RAM
/** Guest RAM that ends with the test region. */
export const DIRTYLOG_MEM = REGION_OFF + DIRTYLOG_PAGES * PAGE_SIZE;
const ITER_REG = { x86_64: 'rbx', arm64: 'x19' } as const;
export const DIRTYLOG_BANNER = {
  x86_64: 'dirtylog (x86-64): writing iteration numbers to random pages\n',
  arm64: 'dirtylog (arm64): writing iteration numbers to random pages\n',
};

/* The guest's generator: the page iteration n writes (pages[n - 1]), extended on demand. */
class Replay {
  private x = 1n;
  private readonly pages: number[] = [];
  pageOf(n: number): number {
    while (this.pages.length < n) {
      this.x = (this.x * 6364136223846793005n + 1442695040888963407n) & 0xffff_ffff_ffff_ffffn;
      this.pages.push(Number((this.x >> 33n) & BigInt(DIRTYLOG_PAGES - 1)));
    }
    return this.pages[n - 1];
  }
}

export interface DirtyLogRun {
  stop: StopReason;
  /** Harvests made (one after every slice, and one after the last). */
  harvests: number;
  /** Stores known to have happened. */
  stores: number;
  /** Times a page was reported again after an earlier report. */
  redirtied: number;
  /** Pages reported dirty whose content had not changed (only counted when allowed). */
  spurious: number;
}

export interface DirtyLogCheckOptions {
  /**
   * Accept pages reported dirty that did not change (and count them), as KVM's dirty_log_test
   * does: a dirty log may over-report (hardware may set Dirty for a store that then does not
   * retire), never under-report. Off by default: without steals this log is exact.
   */
  allowSpurious?: boolean;
}

/** Run the dirtylog guest on `m` to its stop, checking the dirty log after every slice. */
export function checkDirtyLog(m: Machine, opts: DirtyLogCheckOptions = {}): DirtyLogRun {
  const PAGES = DIRTYLOG_PAGES;
  const region = ramBase(m.arch) + REGION_OFF;
  const read = (p: number) => peek64(m, region + p * PAGE_SIZE);
  const replay = new Replay();
  const model = new Float64Array(PAGES); // the region after stores 1 .. applied
  let applied = 0;
  const prev = new Float64Array(PAGES); // the region at the last harvest
  const lastReported = new Int32Array(PAGES).fill(-1);
  const bounds: [number, number][] = []; // harvest k: values written in slice k
  let nPrev = 1;
  let redirtied = 0;
  let spurious = 0;

  const harvestAndCheck = (k: number) => {
    const n = Math.max(reg(m, ITER_REG), 1);
    const { bitmap } = m.harvestDirty();
    const all = bitmapPages(bitmap);
    const inRegion = all.filter((i) => i >= FIRST && i < FIRST + PAGES).map((i) => i - FIRST);
    if (k > 0) expect(all.length, `harvest ${k}: pages outside the region`).toBe(inRegion.length);
    const reported = new Set(inRegion);
    for (let p = 0; p < PAGES; p++) {
      const v = read(p);
      const changed = v !== prev[p];
      if (!changed && reported.has(p) && opts.allowSpurious) {
        spurious++;
        continue;
      }
      if (changed !== reported.has(p)) {
        expect.fail(
          `harvest ${k}: page ${p} ${changed ? `changed (${prev[p]} -> ${v}) but was not reported` : 'reported but unchanged'}`,
        );
      }
      if (!changed) continue;
      if (v < nPrev || v > n) expect.fail(`harvest ${k}: page ${p} holds ${v}, not in [${nPrev}, ${n}]`);
      if (lastReported[p] >= 0) redirtied++;
      lastReported[p] = k;
      prev[p] = v;
    }
    // replay: stores below n have happened; store n may have; none after it
    for (; applied < n - 1; applied++) model[replay.pageOf(applied + 1)] = applied + 1;
    const maybe = replay.pageOf(n);
    for (let p = 0; p < PAGES; p++) {
      if (p === maybe && prev[p] === n) continue;
      if (prev[p] !== model[p])
        expect.fail(`harvest ${k}: page ${p} holds ${prev[p]}, replay says ${model[p]}`);
    }
    bounds.push([nPrev, n]);
    nPrev = n;
  };

  let k = 0;
  let stop = m.runSlice();
  for (; stop === null; stop = m.runSlice()) harvestAndCheck(k++);
  harvestAndCheck(k++);

  // the final contents agree with the history of harvests
  for (let p = 0; p < PAGES; p++) {
    const v = read(p);
    if (lastReported[p] < 0) {
      if (v !== 0) expect.fail(`page ${p} was never reported dirty but holds ${v}`);
      continue;
    }
    const [lo, hi] = bounds[lastReported[p]];
    if (v < lo || v > hi)
      expect.fail(`page ${p} holds ${v}, last reported in harvest ${lastReported[p]} [${lo}, ${hi}]`);
  }
  return { stop, harvests: k, stores: applied, redirtied, spurious };
}
