/*
 * Process memory over many Machines in one process: what a lab script or a grader does when it
 * builds, runs and closes one Machine per submission. Two loops, one after the other:
 *
 *   engines    bare Unicorn engines: open, map 4 MiB of engine-owned RAM (the first call that
 *              makes the engine build its CPU and code caches), close
 *   machines   Machines built with defaults, rotating through both architectures and all three
 *              entry formats (x86-64 ept / npt / s2, arm64 s2 / ept / npt), each running a bundled
 *              sample (hello, memtouch, paging) to its end, then closed
 *
 * Each loop runs in a Node process of its own, so that one loop's heap does not carry into the
 * other. Every `--every` iterations it prints the resident set (RSS), the JS heap in use and the
 * ArrayBuffer bytes V8 still holds, so a growth in RSS that is neither JS heap nor live buffers
 * shows as native memory. The last line of each loop is the growth from the first report (taken
 * after a warm-up of `--every` iterations) to the end, of the RSS and of the RSS less the live
 * ArrayBuffers (guest RAM waiting for the GC is resident too), and the mean CPU time per iteration.
 *
 * Try it with the glibc tunables to see whose memory a growth is: MALLOC_MMAP_THRESHOLD_=131072 and
 * MALLOC_ARENA_MAX=1 (emulator/unicorn/malloc-tuning.ts explains what was found).
 *
 * Run: node --import tsx bench/machine-churn.ts [--machines N] [--engines N] [--every N] [--mem MiB]
 * (or through bench/run.ts; defaults: 2,000 Machines, 2,000 engines, every 250, 16 MiB guest RAM)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
    only: { type: 'string' },
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

/* Milliseconds of this process's CPU time (user + system: mmap and munmap count too). */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/* Runs `step` n times, reporting every EVERY iterations, then the growth after warm-up. */
function loop(name: string, n: number, step: (i: number) => void): void {
  let warm: NodeJS.MemoryUsage | null = null;
  const t0 = cpuMs();
  for (let i = 1; i <= n; i++) {
    step(i);
    if (i % EVERY !== 0 && i !== n) continue;
    const u = process.memoryUsage();
    warm ??= u;
    process.stdout.write(
      `${name} ${String(i).padStart(6)}  RSS ${mib(u.rss)} MiB  JS heap ${mib(u.heapUsed)} MiB  ArrayBuffers ${mib(u.arrayBuffers)} MiB\n`,
    );
  }
  const end = process.memoryUsage();
  const grew = (f: (u: NodeJS.MemoryUsage) => number) => (warm === null ? 0 : (f(end) - f(warm)) / MIB);
  const per = (cpuMs() - t0) / n;
  process.stdout.write(
    `${name} after warm-up, over ${n - Math.min(EVERY, n)} iterations: RSS ${grew((u) => u.rss).toFixed(0)} MiB, ` +
      `RSS less ArrayBuffers ${grew((u) => u.rss - u.arrayBuffers).toFixed(0)} MiB; ${per.toFixed(2)} ms CPU time each\n`,
  );
}

/* Each loop in a child process of its own (the parent only starts them). */
function spawnLoops(): void {
  const self = fileURLToPath(import.meta.url);
  const args = process.argv.slice(2);
  for (const only of ['engines', 'machines']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', self, ...args, '--only', only], {
      stdio: 'inherit',
    });
    if (r.status !== 0) process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  if (values.only === undefined) return spawnLoops();
  const arches: Arch[] = ['x86_64', 'arm64'];
  if (values.only === 'engines')
    return loop('engines ', ENGINES, (i) => {
      const uc = Unicorn.open(arches[i % 2]);
      uc.map(0, 4 * MIB, UC_PROT_ALL);
      uc.close();
    });
  const all = await cases();
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
