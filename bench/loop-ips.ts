/*
 * Guest instructions per second on the compute-bound loop guests (guests/<arch>/loop.s:
 * 3,000,000 LCG steps, a few dozen instructions of printing), per architecture, in one process:
 *
 *   machine        the Machine: virtual-TLB mode, every TLB miss through the fill hook and the
 *                  Translator, sliced runs with exact instruction counts (2,000,000 per slice)
 *   raw, counted   raw Unicorn: its own TLB (UC_TLB_CPU), guest RAM mapped at its guest-physical
 *                  address, no fill hook, the same slices with uc_emu_start's instruction count
 *   raw, free      raw Unicorn as above in one uc_emu_start with no count at all (the fastest
 *                  the engine goes; it cannot tell how many instructions ran, so its rate uses
 *                  the count the machine measured on the same deterministic guest)
 *
 * The raw runs answer the loop's port and MMIO accesses with minimal hooks (LSR "empty", PL011
 * flags, hvc stops), so all three execute the same instructions. The three are run in turn,
 * ROUNDS times, and each figure is the best of its runs (the host may be shared: the best run is
 * the least disturbed one). Printed ratios:
 *
 *   machine / raw counted   the cost of the nested-paging path (fill hook, translator, slicing)
 *   machine / raw free      that plus the cost of exact counting (Unicorn's per-instruction count
 *                           hook), which no Unicorn 2.1 API avoids
 *
 * Times are this process's CPU time by default (the development machine is shared, and wall time
 * mostly measures the neighbours); pass --wall for wall-clock time.
 *
 * Run: node --import tsx bench/loop-ips.ts [--wall]   (or through bench/run.ts)
 */
import type { Arch } from '../emulator/arch.js';
import { loadGuest } from '../emulator/loaders/index.js';
import { packagePath } from '../emulator/package-root.js';
import { faster, machineFigure, rawCounted, rawFree, WALL, type Figure } from './lib/raw-unicorn.js';

const MEM = 16 * 1024 * 1024;

const ROUNDS = 5;

const mips = (f: Figure): string => (f.insns / f.ms / 1000).toFixed(1).padStart(8);

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const arch of ['x86_64', 'arm64'] as Arch[]) {
    const img = await loadGuest(packagePath('guests', arch, 'loop.s'), { memBytes: MEM });
    let machine: Figure | null = null;
    let counted: Figure | null = null;
    let free: Figure | null = null;
    for (let round = 0; round < ROUNDS; round++) {
      machine = faster(machine, machineFigure(img, { memBytes: MEM }));
      counted = faster(counted, rawCounted(img, MEM));
      if (counted.insns !== machine.insns) {
        throw new Error(
          `${arch}: raw run counted ${counted.insns} instructions, the machine ${machine.insns}`,
        );
      }
      free = faster(free, rawFree(img, MEM, machine.insns));
    }
    if (machine === null || counted === null || free === null) throw new Error('no rounds');
    rows.push(
      `${arch.padEnd(7)} ${machine.insns.toLocaleString('en-US').padStart(11)} insns | MIPS: machine ${mips(machine)}` +
        `  raw counted ${mips(counted)}  raw free ${mips(free)} | machine/raw counted ${(counted.ms / machine.ms).toFixed(3)}` +
        `  machine/raw free ${(free.ms / machine.ms).toFixed(3)}`,
    );
  }
  const clock = WALL ? 'wall-clock' : 'CPU time';
  process.stdout.write(`loop-ips (best of ${ROUNDS}, ${clock})\n${rows.join('\n')}\n`);
}

await main();
