/*
 * Replacement policies under overcommit: the hotscan guest (bench/guests/hotscan-x86_64.s) reads a
 * hot working set of 96 pages every round and writes its way through a stream of 928 more, round
 * after round: 1,024 pages of guest memory touched in all. It runs with host frames for half of
 * them (2x overcommit) and for a quarter (4x), under each policy, and reports per run:
 *
 *   major faults   swap-ins: a page that had been evicted is needed again
 *   evictions      frames taken back (swap-outs + clean drops)
 *   faults/s       nested faults (minor and major) over the CPU time of the run
 *
 * Clock should take fewer major faults than fifo: the hot pages are accessed every round, so their
 * Accessed bit saves them from the sweep, while fifo evicts them in arrival order with the stream.
 * The console (a sum of the hot words) must be the same in every run, squeezed or not.
 *
 * Run: node --import tsx bench/reclaim.ts [--wall]   (or through bench/run.ts)
 */
import { readFileSync } from 'node:fs';
import { loadGuestBytes } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { tableRoomFor } from '../emulator/nested-vm.js';
import { packagePath } from '../emulator/package-root.js';
import type { PolicyName } from '../mmu/host/replacement-policy.js';
import { POLICY_NAMES } from '../mmu/host/replacement-policy.js';

const WALL = process.argv.includes('--wall');
const TOUCHED = 96 + 928 + 2; // hot + stream pages, the code page and the stack page
const MEM = 16 * 1024 * 1024;

function now(): number {
  if (WALL) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Row {
  over: number;
  policy: PolicyName;
  major: number;
  evictions: number;
  cleanDrops: number;
  faults: number;
  ms: number;
  console: string;
}

async function main(): Promise<void> {
  const path = packagePath('bench', 'guests', 'hotscan-x86_64.s');
  const img = await loadGuestBytes(readFileSync(path), path, { memBytes: MEM });
  const plain = new Machine(img, { memBytes: MEM });
  plain.run();
  const want = plain.console;
  plain.close();
  const rows: Row[] = [];
  for (const over of [2, 4]) {
    const hostBytes = Math.ceil(TOUCHED / over) * 4096 + tableRoomFor(MEM); // guest frames + tables
    for (const policy of POLICY_NAMES) {
      const m = new Machine(img, { memBytes: MEM, hostBytes, reclaim: policy, seed: 1 });
      const t0 = now();
      m.run();
      const ms = now() - t0;
      const s = m.stats()!;
      m.close();
      const r = s.reclaim;
      rows.push({
        over,
        policy,
        major: r.swapIns,
        evictions: r.evictions,
        cleanDrops: r.cleanDrops,
        faults: s.faults.total,
        ms,
        console: m.console,
      });
    }
  }
  const bad = rows.filter((r) => r.console !== want);
  if (bad.length > 0)
    throw new Error(`console differs under ${bad.map((r) => `${r.policy} ${r.over}x`).join(', ')}`);
  const n = (x: number): string => x.toLocaleString('en-US');
  const lines = rows.map(
    (r) =>
      `${`${r.over}x`.padEnd(4)} ${r.policy.padEnd(7)} ${n(r.major).padStart(7)} major ${n(r.evictions).padStart(7)} evictions (${n(r.cleanDrops)} clean)` +
      ` ${n(r.faults).padStart(7)} faults in ${r.ms.toFixed(0).padStart(5)} ms = ${n(Math.round(r.faults / (r.ms / 1000))).padStart(8)} faults/s`,
  );
  for (const over of [2, 4]) {
    const of = (p: PolicyName) => rows.find((r) => r.over === over && r.policy === p)!.major;
    lines.push(`${over}x: clock/fifo major faults = ${(of('clock') / Math.max(1, of('fifo'))).toFixed(2)}`);
  }
  const clock = WALL ? 'wall-clock' : 'CPU time';
  process.stdout.write(
    `reclaim (hotscan, ${TOUCHED} pages touched, one run each, ${clock})\n${lines.join('\n')}\n`,
  );
}

await main();
