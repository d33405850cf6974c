/*
 * The cost of one dirty-log harvest (Machine.harvestDirty: get and clear over all of guest RAM,
 * under the administrative-change protocol: clients on HOLD, the dirty log, the generation bump)
 * while the guest keeps writing, in both dirty-log modes ('bitmap': read the tables; 'ring': the
 * PML logs and the dirty ring) and at three sizes of guest RAM with the same dirty pages per
 * harvest, so that what grows with RAM shows.
 *
 * The guest is guests/<arch>/dirtylog.s: it stores an iteration number to a pseudo-random page of
 * its test region (from RAM base + 4 MiB), forever. The region is the spread of the dirty pages:
 *
 *   --spread fixed (default)  32 MiB (8,192 pages) at every RAM size: the same guest, so the same
 *                             pages dirty at every size and in both modes; what differs between
 *                             sizes is only the RAM around them (resident, mapped, never written)
 *   --spread half             half of guest RAM: the same stores spread over 16 times as many
 *                             pages and leaf tables at 1 GiB as at 64 MiB (a bit more of them
 *                             distinct), which measures the cache footprint of the dirty pages
 *
 * Before timing, every page of guest RAM is made resident (Vmspace.populate, one RAM region at a
 * time), as in a VM that has touched all its memory, and one harvest clears what that left. The
 * six machines of one format (three sizes, two modes) are all built first; then ROUNDS rounds, each
 * of which visits every machine once, in an order that rotates from round to round: one slice of
 * SLICE instructions (a few thousand pages dirtied), a timed harvest, and a second timed harvest
 * right after (nothing dirty: the floor). So the two modes and the three sizes share the machine's
 * load, and a burst of another process's work falls on all of them alike. Each figure is the median
 * over the rounds after the first WARMUP (before the JIT has compiled each path; a round that meets
 * a GC costs 3-7 ms, which the median ignores), CPU time (or wall-clock with --wall); the dirty count
 * is the mean.
 *
 * Targets (issue 12): the ring harvest varies by at most 2x from 64 MiB to 1 GiB and is never
 * slower than the bitmap harvest; a 1 GiB bitmap harvest with a few thousand dirty pages takes at
 * most 5 ms.
 *
 * Run: npm run bench:harvest [-- --wall] [-- --spread half] [-- x86_64:ept arm64:s2 ...]
 * (one format per process is the realistic case: see bench/README.md)
 */
import { readFileSync } from 'node:fs';
import type { Arch } from '../emulator/arch.js';
import type { GuestImage } from '../emulator/image.js';
import { loadGuestBytes } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { tableRoomFor } from '../emulator/nested-vm.js';
import { packagePath } from '../emulator/package-root.js';
import { gpa } from '../mmu/addr.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';
import type { DirtyLogMode } from '../mmu/vm/ring-harvest.js';

const MIB = 1024 * 1024;
const SIZES = [64 * MIB, 256 * MIB, 1024 * MIB];
const MODES: readonly DirtyLogMode[] = ['bitmap', 'ring'];
const SLICE = 40_000;
const ROUNDS = 33;
const WARMUP = 3;
const FIXED_REGION_PAGES = 8192; // 32 MiB: fits in the smallest guest RAM beside the image
const WALL = process.argv.includes('--wall');
const SPREAD = process.argv.includes('half') ? 'half' : 'fixed';
const named = process.argv.slice(2).filter((a) => a.includes(':'));
const RUNS: readonly (readonly [Arch, FormatName])[] =
  named.length > 0
    ? named.map((a) => a.split(':') as [Arch, FormatName])
    : [
        ['x86_64', 'ept'],
        ['x86_64', 'npt'],
        ['arm64', 's2'],
      ];

function now(): number {
  if (WALL) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function dirtylog(arch: Arch, mem: number): Promise<GuestImage> {
  const path = packagePath('guests', arch, 'dirtylog.s');
  const pages = SPREAD === 'half' ? mem / 2 / 4096 : FIXED_REGION_PAGES;
  const src = readFileSync(path, 'utf8').replace(/^(\.equ\s+PAGES\s*,\s*)\d+/m, `$1${pages}`);
  return loadGuestBytes(new TextEncoder().encode(src), path, { memBytes: mem });
}

function slice(m: Machine): void {
  const stop = m.runSlice();
  if (stop !== null) throw new Error(`dirtylog stopped: ${stop.message}`);
}

/* Every page of guest RAM resident, then the log cleared. */
function populateAll(m: Machine): void {
  const vm = m.vm!;
  for (const r of vm.ramRegions()) {
    const p = vm.vmspace.populate(gpa(r.gpa), r.len);
    if (p.kind !== 'ok') throw new Error(`populate: ${p.kind}`);
  }
  m.harvestDirty();
}

/* One machine of the interleaved set, and what its rounds measured. */
interface Cell {
  mem: number;
  mode: DirtyLogMode;
  m: Machine;
  busy: number[];
  idle: number[];
  dirty: number;
}

async function cell(arch: Arch, format: FormatName, mem: number, mode: DirtyLogMode): Promise<Cell> {
  const img = await dirtylog(arch, mem);
  // room for every page table of guest RAM (the default 1 MiB of table room runs out above 512 MiB)
  const hostBytes = mem + tableRoomFor(mem);
  const m = new Machine(img, { memBytes: mem, hostBytes, format, sliceInsns: SLICE, dirtyLog: mode });
  slice(m); // past the banner
  populateAll(m);
  return { mem, mode, m, busy: [], idle: [], dirty: 0 };
}

/* One round on one machine: a slice, a timed harvest, and a timed harvest of nothing. */
function round(c: Cell, timed: boolean): void {
  slice(c.m);
  let t0 = now();
  const dirty = c.m.harvestDirty().dirty;
  const busy = now() - t0;
  t0 = now();
  const again = c.m.harvestDirty().dirty;
  const idle = now() - t0;
  if (again !== 0) throw new Error('a harvest right after a harvest found dirty pages');
  if (!timed) return;
  c.busy.push(busy);
  c.idle.push(idle);
  c.dirty += dirty;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  for (const [arch, format] of RUNS) {
    const cells: Cell[] = [];
    for (const mem of SIZES) for (const mode of MODES) cells.push(await cell(arch, format, mem, mode));
    for (let r = 0; r < ROUNDS; r++)
      for (let k = 0; k < cells.length; k++) round(cells[(k + r) % cells.length], r >= WARMUP);
    for (const c of cells) {
      const pmlFull = c.m.stats()!.dirtyLog.pmlFullExits;
      c.m.close();
      process.stdout.write(
        `${arch.padEnd(7)} ${format.padEnd(4)} ${String(c.mem / MIB).padStart(5)} MiB ${c.mode.padEnd(6)}` +
          ` ${median(c.busy).toFixed(2).padStart(6)} ms per harvest (${Math.round(c.dirty / c.busy.length)} dirty pages each),` +
          ` ${median(c.idle).toFixed(2).padStart(6)} ms with none dirty, ${pmlFull} PML-full exits\n`,
      );
    }
  }
  const clock = WALL ? 'wall-clock' : 'CPU time';
  process.stdout.write(
    `nested-harvest (spread ${SPREAD}; median of ${ROUNDS - WARMUP} interleaved rounds after ${WARMUP}, ${clock},` +
      ` ${SLICE} instructions between harvests, all of guest RAM resident)\n`,
  );
}

await main();
