/*
 * GPT benchmarks, per entry format (EPT, nPT, stage-2), on the real host layer (pmap with PV
 * tracking, table pool), without event sinks and without full checks:
 *
 *   map+unmap   1,048,576 pages (4 GiB of guest-physical space, populated first), mapped and
 *               unmapped one leaf table (512 pages) at a time; frames are reused per table so
 *               every frame has at most one mapping (PV head SINGLE)
 *   walk        translate() (the TLB-fill fast path: 4 entry reads) over a mapped 1 GiB region
 *   harvest     dirty-log get-and-clear over a populated, fully mapped 1 GiB region (262,144 pages),
 *               with every page dirty, and again with none dirty (pure iteration)
 *
 * Targets (DESIGN §7 and the GPT brief): >= 2 M map+unmap pairs/s, 1 GiB harvest <= 20 ms.
 * Run: node --import tsx bench/gpt-map.ts [ept|npt|s2 ...] [--wall]
 */

import { gpa, hfn } from '../mmu/addr.js';
import type { Gpa, Hfn, Hpa } from '../mmu/addr.js';
import { setFullChecks } from '../mmu/checks.js';
import type { EntryFormat } from '../mmu/gpt/entry-format.js';
import { FORMATS, FORMAT_NAMES } from '../mmu/gpt/formats.js';
import { Gpt } from '../mmu/gpt/gpt.js';
import { FrameAllocator } from '../mmu/host/frame-allocator.js';
import { HostMemory } from '../mmu/host/host-memory.js';
import { Pmap } from '../mmu/host/pmap.js';
import { TablePool } from '../mmu/host/table-pool.js';
import { PROT_RW } from '../mmu/prot.js';

setFullChecks(false);

const PAGES_MAP = 1 << 20;
const PAGES_1G = 1 << 18;
const GUEST_FRAMES = 4096;

function rig(fmt: EntryFormat, mib: number): { gpt: Gpt; guest: Hfn[] } {
  const mem = new HostMemory(mib * 1024 * 1024);
  const frames = new FrameAllocator(mem);
  const guest: Hfn[] = [];
  for (let i = 0; i < GUEST_FRAMES; i++) guest.push(hfn(frames.alloc('guest') as number));
  const pmap = new Pmap(mem);
  const pool = new TablePool(frames, pmap, { reserve: 8 });
  return { gpt: new Gpt(fmt, mem, pmap, pool), guest };
}

/*
 * The clock: this process's CPU time by default (the development machine is shared, and wall time
 * there mostly measures the neighbours), wall time with --wall.
 */
const wall = process.argv.includes('--wall');
const now = (): number => {
  if (wall) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function benchMapUnmap(fmt: EntryFormat): number {
  const { gpt, guest } = rig(fmt, 64);
  gpt.populate(gpa(0), PAGES_MAP * 4096);
  const round = (): number => {
    const t = now();
    for (let table = 0; table < PAGES_MAP / 512; table++) {
      const base = table * 512 * 4096;
      for (let i = 0; i < 512; i++) gpt.mapAt((base + i * 4096) as Gpa, guest[i], PROT_RW, 'wb');
      for (let i = 0; i < 512; i++) gpt.unmap((base + i * 4096) as Gpa);
    }
    return now() - t;
  };
  round(); // warm-up
  const ms = median([round(), round(), round()]);
  return PAGES_MAP / (ms / 1000);
}

function mapped1G(fmt: EntryFormat): Gpt {
  const { gpt, guest } = rig(fmt, 64);
  gpt.populate(gpa(0), PAGES_1G * 4096);
  for (let p = 0; p < PAGES_1G; p++) gpt.mapAt((p * 4096) as Gpa, guest[p % GUEST_FRAMES], PROT_RW, 'wb');
  return gpt;
}

function benchWalk(gpt: Gpt): number {
  const round = (): number => {
    const t = now();
    let sink = 0;
    for (let p = 0; p < PAGES_1G; p++) sink += gpt.translate((p * 4096) as Gpa, 'write');
    if (sink < 0) throw new Error('unmapped page in the walk bench');
    return now() - t;
  };
  round();
  return PAGES_1G / (median([round(), round(), round()]) / 1000);
}

function benchIterate(gpt: Gpt): number {
  const round = (): number => {
    const t = now();
    const it = gpt.iterate(gpa(0), PAGES_1G * 4096);
    let slots = 0;
    while (it.next()) slots++;
    if (slots !== PAGES_1G) throw new Error(`iterator visited ${slots} slots`);
    return now() - t;
  };
  round();
  return median([round(), round(), round()]);
}

function benchHarvest(gpt: Gpt): { allDirty: number; clean: number; dirtyFound: number } {
  const bitmap = new Uint8Array(PAGES_1G / 8);
  const dirtyAll = (): void => {
    for (let p = 0; p < PAGES_1G; p++) gpt.markAccessed(gpt.leafPte((p * 4096) as Gpa) as Hpa, true);
  };
  const all: number[] = [];
  const clean: number[] = [];
  let dirtyFound = 0;
  for (let r = 0; r < 6; r++) {
    dirtyAll();
    bitmap.fill(0);
    let t = now();
    dirtyFound = gpt.harvestDirty(gpa(0), PAGES_1G * 4096, bitmap);
    all.push(now() - t);
    t = now();
    if (gpt.harvestDirty(gpa(0), PAGES_1G * 4096, bitmap) !== 0) throw new Error('harvest left dirty pages');
    clean.push(now() - t);
  }
  return { allDirty: median(all.slice(1)), clean: median(clean.slice(1)), dirtyFound };
}

const fmtRate = (r: number): string => (r / 1e6).toFixed(2) + ' M/s';

const ms = (x: number): string => x.toFixed(1) + ' ms';
/* One format per process is the realistic case (a VM uses one format); several in one process make
 * the format call sites polymorphic, so the later formats measure a little slower. */
const only = process.argv.slice(2).filter((a) => (FORMAT_NAMES as readonly string[]).includes(a));
const names = only.length > 0 ? only : FORMAT_NAMES;
console.log(
  `GPT benchmarks (median of 3+ rounds after a warm-up, ${wall ? 'wall' : 'process CPU'} time; ` +
    `formats in this process: ${names.join(', ')})`,
);
console.log(
  'format  map+unmap pairs   translate (walk)   iterate 1 GiB   harvest 1 GiB: all dirty   none dirty',
);
for (const name of names) {
  const fmt = FORMATS[name as keyof typeof FORMATS];
  const pairs = benchMapUnmap(fmt);
  const gpt = mapped1G(fmt);
  const walks = benchWalk(gpt);
  const iter = benchIterate(gpt);
  const h = benchHarvest(gpt);
  if (h.dirtyFound !== PAGES_1G) throw new Error(`harvest found ${h.dirtyFound} dirty pages`);
  console.log(
    `${name.padEnd(6)}  ${fmtRate(pairs).padStart(15)}   ${fmtRate(walks).padStart(16)}   ${ms(iter).padStart(13)}   ` +
      `${ms(h.allDirty).padStart(24)}   ${ms(h.clean).padStart(10)}`,
  );
}
console.log('targets: map+unmap >= 2.00 M/s; harvest of 1 GiB <= 20 ms');
