/*
 * The cost of one dirty-log harvest (Machine.harvestDirty: get and clear over all of guest RAM,
 * under the administrative-change protocol: clients on HOLD, the dirty log, the generation bump)
 * while the guest keeps writing, in both dirty-log modes ('bitmap': read the tables; 'ring': the
 * PML logs and the dirty ring) and at three sizes of guest RAM with about the same number of dirty
 * pages per harvest, so that what grows with RAM shows.
 *
 * The guest is guests/<arch>/dirtylog.s with its test region raised to half of guest RAM (from
 * RAM base + 4 MiB): it stores an iteration number to a pseudo-random page of the region, forever.
 * Before timing, every page of guest RAM is made resident (Vmspace.populate, one RAM region at a
 * time), as in a VM that has touched all its memory, and one harvest clears what that left. Then
 * ROUNDS rounds of: one slice of SLICE instructions (a few thousand pages dirtied), a timed
 * harvest, and a second timed harvest right after (nothing dirty: the floor). Each figure is the
 * median over the rounds, CPU time (or wall-clock with --wall): the first rounds of each mode run
 * before the JIT has compiled its path and a round that meets a GC costs 3-7 ms, which a mean of
 * 20 would carry; the dirty count is the mean.
 *
 * Targets (issue 12): the ring harvest varies by at most 2x from 64 MiB to 1 GiB and is never
 * slower than the bitmap harvest; a 1 GiB bitmap harvest with a few thousand dirty pages takes at
 * most 5 ms.
 *
 * Run: npm run bench:harvest [-- --wall] [-- x86_64:ept arm64:s2 ...]   (or through bench/run.ts)
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
const ROUNDS = 20;
const WALL = process.argv.includes('--wall');
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
  const pages = mem / 2 / 4096;
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

interface Figures {
  busy: number;
  idle: number;
  dirty: number;
  pmlFull: number;
}

function measure(img: GuestImage, mem: number, format: FormatName, dirtyLog: DirtyLogMode): Figures {
  // room for every page table of guest RAM (the default 1 MiB of table room runs out above 512 MiB)
  const hostBytes = mem + tableRoomFor(mem);
  const m = new Machine(img, { memBytes: mem, hostBytes, format, sliceInsns: SLICE, dirtyLog });
  slice(m); // past the banner
  populateAll(m);
  const busy: number[] = [];
  const idle: number[] = [];
  let dirty = 0;
  for (let r = 0; r < ROUNDS; r++) {
    slice(m);
    let t0 = now();
    dirty += m.harvestDirty().dirty;
    busy.push(now() - t0);
    t0 = now();
    const again = m.harvestDirty().dirty;
    idle.push(now() - t0);
    if (again !== 0) throw new Error('a harvest right after a harvest found dirty pages');
  }
  const pmlFull = m.stats()!.dirtyLog.pmlFullExits;
  m.close();
  return { busy: median(busy), idle: median(idle), dirty: Math.round(dirty / ROUNDS), pmlFull };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const [arch, format] of RUNS) {
    for (const mem of SIZES) {
      const img = await dirtylog(arch, mem);
      for (const mode of MODES) {
        const f = measure(img, mem, format, mode);
        rows.push(
          `${arch.padEnd(7)} ${format.padEnd(4)} ${String(mem / MIB).padStart(5)} MiB ${mode.padEnd(6)}` +
            ` ${f.busy.toFixed(2).padStart(6)} ms per harvest (${f.dirty} dirty pages each),` +
            ` ${f.idle.toFixed(2).padStart(6)} ms with none dirty, ${f.pmlFull} PML-full exits`,
        );
        process.stdout.write(`${rows[rows.length - 1]}\n`);
      }
    }
  }
  const clock = WALL ? 'wall-clock' : 'CPU time';
  process.stdout.write(
    `nested-harvest (median of ${ROUNDS} harvests, ${clock}, ${SLICE} instructions between harvests, all of guest RAM resident)\n`,
  );
}

await main();
