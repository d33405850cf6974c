/*
 * The fuzzing campaign: a seed and a scale decide every case, so a report can be replayed exactly.
 *
 *   category   cases per unit of scale   how it runs       what must hold (oracle.ts)
 *   random     1 per arch                library, Machine  documented stop, no hold left, same twice
 *   mutated    1/2                       library, Machine  the same
 *   elf        1/5, plus the named ones  CLI in process    documented status, one line; named: exit 2
 *   flags      1/10, plus the named ones CLI in process    the same
 *   asm        1/50, plus the named ones CLI child, 30 s   the same, and it ends by itself
 *
 * The campaign also watches process memory over the Machine cases: after thousands of Machines
 * the resident set, less the live ArrayBuffers, must stay near where it was once warm (growth
 * beyond 256 MiB fails the campaign when at least 2,000 Machines ran; emulator/unicorn/
 * malloc-tuning.ts is what keeps it flat). A time bound cuts the campaign short and says so in the report.
 */
import { existsSync } from 'node:fs';
import type { Arch } from '../emulator/arch.js';
import { namedAsmCases, randomAsmCase, type AsmCase } from './asm-cases.js';
import { cliChild, cliInProcess, writeScratch } from './cli-cases.js';
import { namedElfCases, randomElfCase, type FileCase } from './elf-cases.js';
import { namedFlagCases, randomFlagCase, type FlagCase } from './flag-cases.js';
import { mutatedSample, randomGuest, runGuestCase, type GuestCase } from './guest-cases.js';
import { checkCli } from './oracle.js';
import { Rng } from './rng.js';

export interface CampaignOptions {
  seed: number;
  /** Random guests per architecture; the other categories scale from it. */
  scale: number;
  /** Stop starting new cases after this many seconds. */
  seconds: number;
  log?: (line: string) => void;
}

export interface CategoryReport {
  cases: number;
  failures: string[];
}

export interface CampaignReport {
  seed: number;
  categories: Record<string, CategoryReport>;
  /** RSS, and RSS less the live ArrayBuffers (guest RAM the GC has yet to free), in MiB. */
  rssMiB: { warm: number; end: number; nativeWarm: number; nativeEnd: number; machines: number };
  cutShort: boolean;
  failures: number;
}

const MIB = 1 << 20;
const RSS_GROWTH_LIMIT_MIB = 256;

/* RSS, and RSS less the live ArrayBuffers: each Machine's guest RAM is written, so it stays
   resident until the GC frees it, and only the rest says whether native memory grows. */
function memory(): [number, number] {
  const u = process.memoryUsage();
  return [u.rss / MIB, (u.rss - u.arrayBuffers) / MIB];
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignReport> {
  const rng = new Rng(o.seed);
  const deadline = Date.now() + o.seconds * 1000;
  const cats: Record<string, CategoryReport> = {};
  const cat = (name: string): CategoryReport => (cats[name] ??= { cases: 0, failures: [] });
  const note = (c: CategoryReport, name: string, why: string | null) => {
    c.cases++;
    if (why !== null) {
      c.failures.push(`${name}: ${why}`);
      o.log?.(`FAIL ${name}: ${why}`);
    }
  };
  const inTime = () => Date.now() < deadline;
  const rss = { warm: 0, end: 0, nativeWarm: 0, nativeEnd: 0, machines: 0 };

  await regressions(cat, note);
  await machines(o, rng, cat, note, inTime, rss);
  for (let i = 0; i < Math.ceil(o.scale / 5) && inTime(); i++)
    await fileCase(randomElfCase(rng, i), cat('elf'), note);
  for (let i = 0; i < Math.ceil(o.scale / 10) && inTime(); i++)
    await flagCase(randomFlagCase(rng, i), cat('flags'), note);
  for (let i = 0; i < Math.ceil(o.scale / 50) && inTime(); i++)
    asmCase(randomAsmCase(rng, i), cat('asm'), note);

  const failures = Object.values(cats).reduce((n, c) => n + c.failures.length, 0);
  return { seed: o.seed, categories: cats, rssMiB: rss, cutShort: !inTime(), failures };
}

type Note = (c: CategoryReport, name: string, why: string | null) => void;

/* The named cases of the first campaign: each one is a defect that was fixed. */
async function regressions(cat: (n: string) => CategoryReport, note: Note): Promise<void> {
  for (const c of namedElfCases()) await fileCase(c, cat('elf'), note);
  const raw = writeScratch('hlt.bin', new Uint8Array([0xf4]));
  for (const c of namedFlagCases(raw)) await flagCase(c, cat('flags'), note);
  await flagCase(
    {
      name: 'x86 code at guest-physical 0',
      argv: ['run', raw, '--arch', 'x86_64', '--load', '0'],
      want: [0],
    },
    cat('flags'),
    note,
  );
  const trace = writeScratch('refused.jsonl', '');
  await cliInProcess(['run', 'guests/x86_64/hello.s', '--mem', '8G', '--trace', trace + '.new']);
  note(
    cat('flags'),
    'refused options leave no --trace file',
    existsSync(trace + '.new') ? 'trace file left behind' : null,
  );
  for (const c of namedAsmCases()) asmCase(c, cat('asm'), note);
}

async function machines(
  o: CampaignOptions,
  rng: Rng,
  cat: (n: string) => CategoryReport,
  note: Note,
  inTime: () => boolean,
  rss: CampaignReport['rssMiB'],
): Promise<void> {
  const total = o.scale * 2 + Math.ceil(o.scale / 2);
  const warmAt = Math.min(200, Math.floor(total / 10));
  const run = (c: GuestCase, where: CategoryReport, i: number) => {
    note(where, c.name, runGuestCase(c, i % 16 === 0));
    if (++rss.machines === warmAt) [rss.warm, rss.nativeWarm] = memory();
  };
  for (let i = 0; i < o.scale && inTime(); i++)
    for (const arch of ['x86_64', 'arm64'] as Arch[])
      run(await randomGuest(rng, arch, i), cat(`random ${arch}`), i);
  for (let i = 0; i < Math.ceil(o.scale / 2) && inTime(); i++)
    run(await mutatedSample(rng, i), cat('mutated'), i);
  [rss.end, rss.nativeEnd] = memory();
  if (rss.machines >= 2000 && rss.nativeEnd - rss.nativeWarm > RSS_GROWTH_LIMIT_MIB)
    note(
      cat('memory'),
      `${rss.machines} Machines`,
      `RSS less ArrayBuffers grew from ${rss.nativeWarm.toFixed(0)} to ${rss.nativeEnd.toFixed(0)} MiB`,
    );
}

async function fileCase(c: FileCase, where: CategoryReport, note: Note): Promise<void> {
  const path = writeScratch('case.elf', c.bytes);
  const out = await cliInProcess(['run', path, '--max-insns', '20000', '--timeout', '5000']);
  note(where, c.name, checkCli(out, c.want));
}

async function flagCase(c: FlagCase, where: CategoryReport, note: Note): Promise<void> {
  note(where, c.name, checkCli(await cliInProcess(c.argv), c.want));
}

function asmCase(c: AsmCase, where: CategoryReport, note: Note): void {
  const path = writeScratch(`case-${c.arch}.s`, c.source);
  const out = cliChild(['run', path, '--max-insns', '20000', '--timeout', '5000'], 30_000);
  note(where, c.name, out.status === -1 ? 'did not end within 30 s (killed)' : checkCli(out, c.want));
}
