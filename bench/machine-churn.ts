/*
 * Process memory over many Machines in one process: what a lab script or a grader does when it
 * builds, runs and closes one Machine per submission. Two loops, one after the other:
 *
 *   engines    bare Unicorn engines: open, map a 4 MiB buffer (the first call that makes the
 *              engine build its CPU and code caches), close
 *   machines   Machines built with defaults, rotating through both architectures and all three
 *              entry formats (x86-64 ept / npt / s2, arm64 s2 / ept / npt), each running a bundled
 *              sample (hello, memtouch, paging) to its end, then closed
 *
 * Every `--every` iterations it prints the resident set (RSS), the JS heap in use and the
 * ArrayBuffer bytes V8 still holds, so a growth in RSS that is neither JS heap nor live buffers
 * shows as native memory. The last line of each loop is the growth from the first report (taken
 * after a warm-up of `--every` iterations) to the end, and the mean time per iteration.
 *
 * Try it with the glibc tunables to see whose memory a growth is: MALLOC_MMAP_THRESHOLD_=131072 and
 * MALLOC_ARENA_MAX=1 (emulator/unicorn/malloc-tuning.ts explains what was found).
 *
 * Run: node --import tsx bench/machine-churn.ts [--machines N] [--engines N] [--every N] [--mem MiB]
 * (or through bench/run.ts; defaults: 2,000 Machines, 2,000 engines, every 250, 16 MiB guest RAM)
 */
import { parseArgs } from 'node:util';
import type { Arch } from '../emulator/arch.js';
import type { GuestImage } from '../emulator/image.js';
import { listSamples, loadGuest } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { PACKAGE_ROOT, packagePath } from '../emulator/package-root.js';
import { UC_PROT_ALL } from '../emulator/unicorn/constants.js';
import { Unicorn } from '../emulator/unicorn/unicorn.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';

const { values } = parseArgs({
  options: {
    machines: { type: 'string', default: '2000' },
    engines: { type: 'string', default: '2000' },
    every: { type: 'string', default: '250' },
    mem: { type: 'string', default: '16' },
  },
});
const MACHINES = Number(values.machines);
const ENGINES = Number(values.engines);
const EVERY = Number(values.every);
const MEM = Number(values.mem) << 20;

const MIB = 1 << 20;
const mib = (n: number): string => (n / MIB).toFixed(0).padStart(5);

interface Case {
  readonly image: GuestImage;
  readonly format: FormatName;
  /** nestvm's exit status for the sample's own exit (guests/index.json). */
  readonly status: number;
}

async function cases(): Promise<Case[]> {
  const formats: Record<Arch, FormatName[]> = { x86_64: ['ept', 'npt', 's2'], arm64: ['s2', 'ept', 'npt'] };
  const out: Case[] = [];
  for (const s of listSamples(PACKAGE_ROOT)) {
    if (!/^(hello|memtouch|paging)-/.test(s.name)) continue;
    const image = await loadGuest(packagePath(s.path), { memBytes: MEM });
    for (const format of formats[s.arch]) out.push({ image, format, status: s.exitStatus });
  }
  return out;
}

/* Runs `step` n times, reporting every EVERY iterations; returns the growth after warm-up. */
function loop(name: string, n: number, step: (i: number) => void): void {
  let warm = 0;
  const t0 = performance.now();
  for (let i = 1; i <= n; i++) {
    step(i);
    if (i % EVERY !== 0 && i !== n) continue;
    const u = process.memoryUsage();
    if (warm === 0) warm = u.rss;
    process.stdout.write(
      `${name} ${String(i).padStart(6)}  RSS ${mib(u.rss)} MiB  JS heap ${mib(u.heapUsed)} MiB  ArrayBuffers ${mib(u.arrayBuffers)} MiB\n`,
    );
  }
  const grew = process.memoryUsage().rss - warm;
  const per = (performance.now() - t0) / n;
  process.stdout.write(
    `${name} RSS growth after warm-up: ${(grew / MIB).toFixed(0)} MiB over ${n - Math.min(EVERY, n)} iterations, ${per.toFixed(2)} ms each\n`,
  );
}

async function main(): Promise<void> {
  const all = await cases();
  const arches: Arch[] = ['x86_64', 'arm64'];
  loop('engines ', ENGINES, (i) => {
    const uc = Unicorn.open(arches[i % 2]);
    uc.mapPtr(0, new ArrayBuffer(4 * MIB), UC_PROT_ALL);
    uc.close();
  });
  loop('machines', MACHINES, (i) => {
    const c = all[i % all.length];
    const m = new Machine(c.image, { memBytes: MEM, format: c.format, maxInsns: 5_000_000 });
    try {
      const stop = m.run();
      if (stop.code !== c.status) throw new Error(`${c.image.origin} stopped badly: ${stop.message}`);
    } finally {
      m.close();
    }
  });
}

await main();
