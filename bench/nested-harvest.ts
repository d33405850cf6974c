/*
 * The cost of one dirty-log harvest (Machine.harvestDirty: get and clear over all of guest RAM,
 * under the administrative-change protocol: clients on HOLD, the GPT's dirty bits, the frames'
 * modified attribute, the generation bump) while the guest keeps writing.
 *
 * The guest is guests/<arch>/dirtylog.s with its test region raised to 64 MiB (16,384 pages; guest
 * RAM 68 MiB): it stores an iteration number to a pseudo-random page of the region, forever. The
 * run first lets the guest fault every region page in (warm-up, not timed), then runs ROUNDS
 * slices of SLICE instructions, timing each harvest after a slice (the guest dirtied a few
 * thousand pages in it), and once more a harvest right after another (nothing dirty: the floor).
 * One run per architecture and entry format; each figure is the mean over the rounds, CPU time.
 *
 * Run: node --import tsx bench/nested-harvest.ts [--wall]   (or through bench/run.ts)
 */
import { readFileSync } from 'node:fs';
import type { Arch } from '../emulator/arch.js';
import type { GuestImage } from '../emulator/image.js';
import { loadGuestBytes } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { packagePath } from '../emulator/package-root.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';

const PAGES = 16_384;
const MEM = 4 * 1024 * 1024 + PAGES * 4096; // the region starts at RAM base + 4 MiB
const SLICE = 50_000;
const ROUNDS = 40;
const WALL = process.argv.includes('--wall');
const FORMATS: readonly FormatName[] = ['ept', 'npt', 's2'];

function now(): number {
  if (WALL) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function dirtylog(arch: Arch): Promise<GuestImage> {
  const path = packagePath('guests', arch, 'dirtylog.s');
  const src = readFileSync(path, 'utf8').replace(/^(\.equ\s+PAGES\s*,\s*)\d+/m, `$1${PAGES}`);
  return loadGuestBytes(new TextEncoder().encode(src), path, { memBytes: MEM });
}

function slice(m: Machine): void {
  const stop = m.runSlice();
  if (stop !== null) throw new Error(`dirtylog stopped: ${stop.message}`);
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const arch of ['x86_64', 'arm64'] as Arch[]) {
    const img = await dirtylog(arch);
    for (const format of FORMATS) {
      const m = new Machine(img, { memBytes: MEM, format, sliceInsns: SLICE });
      while (m.stats()!.residentPages < PAGES) slice(m); // warm-up: every region page faulted in
      m.harvestDirty();
      let busyMs = 0;
      let idleMs = 0;
      let dirty = 0;
      for (let r = 0; r < ROUNDS; r++) {
        slice(m);
        let t0 = now();
        dirty += m.harvestDirty().dirty;
        busyMs += now() - t0;
        t0 = now();
        const again = m.harvestDirty().dirty;
        idleMs += now() - t0;
        if (again !== 0) throw new Error('a harvest right after a harvest found dirty pages');
      }
      m.close();
      rows.push(
        `${arch.padEnd(7)} ${format.padEnd(4)} over ${(MEM / 1048576).toFixed(0)} MiB: ${(busyMs / ROUNDS).toFixed(2).padStart(6)} ms per harvest` +
          ` (${Math.round(dirty / ROUNDS)} dirty pages each), ${(idleMs / ROUNDS).toFixed(2).padStart(6)} ms with none dirty`,
      );
    }
  }
  const clock = WALL ? 'wall-clock' : 'CPU time';
  process.stdout.write(
    `nested-harvest (one run each, mean of ${ROUNDS} harvests, ${clock}, ${SLICE} instructions between harvests)\n${rows.join('\n')}\n`,
  );
}

await main();
