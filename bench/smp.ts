/*
 * Several vCPUs against one: what round-robin over N engines costs, in total guest instructions
 * per second.
 *
 * The guest (bench/guests/smp-spin-<arch>.s) keeps every vCPU busy: each runs ITERS steps of an
 * LCG in registers and halts, with no lock and no barrier, so no vCPU spends its turns waiting for
 * another. CPUS in the source is rewritten to match --cpus, so the same program starts every vCPU
 * it has (x86-64: the wakeup mailbox; arm64: PSCI CPU_ON), and ITERS to STEPS / N, so every run
 * does the same total work split N ways; the figure compared is total instructions per second,
 * and its ratio to the one-vCPU run of the same arch and quantum, measured in the same process one
 * after the other (best of REPS runs, CPU time unless --wall).
 *
 * What the ratio shows is the cost of a turn: each quantum is one uc_emu_start on another engine,
 * tableEnter on its client, and a fresh software TLB and translated code per engine (every engine
 * translates the loop for itself), so it is run at the default quantum and at a short one.
 *
 * Run: npm run bench:smp  (node --import tsx bench/smp.ts [--wall])
 */
import { readFileSync } from 'node:fs';
import { loadGuestBytes } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { packagePath } from '../emulator/package-root.js';
import { ARCHES, type Arch } from '../emulator/arch.js';
import { DEFAULT_QUANTUM } from '../emulator/vcpu-set.js';
import { setFullChecks } from '../mmu/checks.js';

const WALL = process.argv.includes('--wall');
const COUNTS = [1, 2, 4, 8];
const QUANTA = [DEFAULT_QUANTUM, 1_000];
const REPS = 3;
/** LCG steps of a whole run (4 instructions each on x86-64, 3 on arm64), split between the vCPUs. */
const STEPS = 12_000_000;

function now(): number {
  if (WALL) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function guest(arch: Arch, cpus: number) {
  const path = packagePath(`bench/guests/smp-spin-${arch}.s`);
  const src = readFileSync(path, 'utf8')
    .replace(/^(\.equ\s+CPUS\s*,\s*)\d+/m, `$1${cpus}`)
    .replace(/^(\.equ\s+ITERS\s*,\s*)\d+/m, `$1${STEPS / cpus}`);
  return loadGuestBytes(new TextEncoder().encode(src), path, { memBytes: 16 * 1024 * 1024 });
}

/* One run to the end: instructions and ms (the machine built outside the timing). */
async function once(arch: Arch, cpus: number, quantum: number): Promise<{ insns: number; ms: number }> {
  const m = new Machine(await guest(arch, cpus), { cpus, quantum, memBytes: 16 * 1024 * 1024 });
  try {
    const t0 = now();
    const stop = m.run();
    const ms = now() - t0;
    if (stop.code !== 0) throw new Error(`bench: ${arch} --cpus ${cpus}: ${stop.message ?? stop.reason}`);
    const on = m.cpus.cores.filter((c) => c.insns > 0).length;
    if (on !== cpus) throw new Error(`bench: ${arch} --cpus ${cpus}: only ${on} vCPUs ran`);
    return { insns: m.instructions, ms };
  } finally {
    m.close();
  }
}

async function main(): Promise<void> {
  setFullChecks(false);
  const how = `best of ${REPS}, ${WALL ? 'wall' : 'CPU'} time`;
  console.log(`smp: ${STEPS} LCG steps split over ${COUNTS.join(', ')} vCPUs round-robin, ${how}`);
  console.log('arch     quantum  vCPUs  instructions   ms      M insns/s  vs 1 vCPU');
  for (const arch of ARCHES) {
    for (const quantum of QUANTA) {
      let one = 0;
      for (const cpus of COUNTS) {
        let best = { insns: 0, ms: Infinity };
        for (let r = 0; r < REPS; r++) {
          const t = await once(arch, cpus, quantum);
          if (t.ms < best.ms) best = t;
        }
        const ips = best.insns / best.ms / 1000;
        if (cpus === 1) one = ips;
        console.log(
          `${arch.padEnd(8)} ${String(quantum).padStart(7)}  ${String(cpus).padStart(5)}  ` +
            `${best.insns.toLocaleString('en-US').padStart(12)}  ${best.ms.toFixed(0).padStart(5)}  ` +
            `${ips.toFixed(1).padStart(9)}  ${(ips / one).toFixed(2).padStart(9)}`,
        );
      }
    }
  }
}

await main();
