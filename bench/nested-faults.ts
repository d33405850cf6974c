/*
 * Nested page faults per second, and as a ratio of a bare koffi TLB-fill callback (issue 11).
 *
 * The guest is memtouch (guests/<arch>/memtouch.s) with PAGES raised to 102,400: one byte written
 * to each of 100 Ki fresh pages (400 MiB of the 420 MiB given). Every first write is a nested
 * fault: the fill hook misses in the GPT, the vCPU client faults into the vmspace, the vmspace maps
 * the object's frame (leaf PTE, PV entry, leaf tables populated as needed), and the fill is
 * retried. By default the read pass is cut to its first page, so that each page is filled once and
 * every fill of the nested run is a nested fault; `--read-pass` keeps the whole read pass (each
 * page is then filled twice: the engine's TLB has dropped it by the time it is read back).
 *
 * The bare side is the same guest on a raw engine in virtual-TLB mode whose fill hook maps every
 * page to the host frame the Machine's scattered layout gave it (a typed-array load; with
 * `--bare-identity`, to itself) and does nothing else (bench/lib/raw-unicorn.ts, rawBareFills), run
 * in the Machine's counted slices with the Machine's instruction counter. Both sides therefore make
 * the same fills of the same pages, touch the same host frames and begin the same instructions
 * (scattered frames cost the engine host cache and TLB misses that an identity map does not have:
 * they are not the fill path's); the bench prints both counts, and
 * with `--calls` every engine call each side makes (bench/lib/engine-calls.ts), so what differs
 * is ours. The ratio is nested faults per second over bare fills per second (target >= 0.5: a
 * nested fault costs at most two bare callbacks); "fills x bare" is the Machine's fills per second
 * over the bare ones (bare time over Machine time, the same thing when every fill is a fault).
 *
 * Runs alternate in one process, round by round (bare, ept, npt, s2, then again), so that a change
 * in the machine's load hits both sides alike; each round's ratio uses that round's bare run.
 * Round 0 warms the JIT up and is not counted. Each figure is given as min / median / max over the
 * rounds, with the load average before and after. Times are CPU time (`--wall`: wall clock) of
 * the run alone (`--with-setup`: the Machine's construction too); the kernel's zero-fill of each
 * fresh page lands inside the timed run on both sides.
 *
 * Run: node --import tsx bench/nested-faults.ts [--wall] [--with-setup] [--read-pass] [--calls]
 *        [--bare-identity] [--rounds N] [x86_64|arm64 ...]            (or through bench/run.ts)
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { LAYOUT, type Arch } from '../emulator/arch.js';
import type { GuestImage } from '../emulator/image.js';
import { loadGuestBytes } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { packagePath } from '../emulator/package-root.js';
import type { CounterKind } from '../emulator/unicorn/block-shim.js';
import { gpa, PAGE_SIZE } from '../mmu/addr.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';
import { countEngineCalls, frequentCalls, takeEngineCalls } from './lib/engine-calls.js';
import { now, rawBareFills, type BareFrames } from './lib/raw-unicorn.js';

const PAGES = 102_400; // 100 Ki pages: 25 << 12, which arm64's cmp can encode as an immediate
const MEM = 420 * 1024 * 1024; // buffer from 2 MiB, 400 MiB of pages, the image and the stack
const args = process.argv.slice(2);
const WITH_SETUP = args.includes('--with-setup');
const READ_PASS = args.includes('--read-pass');
const CALLS = args.includes('--calls');
const BARE_IDENTITY = args.includes('--bare-identity');
const ROUNDS = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 5;
if (!Number.isSafeInteger(ROUNDS) || ROUNDS < 1) throw new Error('--rounds takes a positive integer');
const FORMATS: readonly FormatName[] = ['ept', 'npt', 's2'];
const wanted = args.filter((a) => a === 'x86_64' || a === 'arm64');
const ARCHES = (['x86_64', 'arm64'] as Arch[]).filter((a) => wanted.length === 0 || wanted.includes(a));

/* One timed run of either side. */
interface Run {
  readonly ms: number;
  readonly fills: number;
  readonly faults: number;
  readonly insns: number;
  readonly calls: Map<string, number>;
}

/* The read pass's loop bound is the second compare against PAGES; cut, it reads page 0 only. */
function guestSource(arch: Arch): string {
  const src = readFileSync(packagePath('guests', arch, 'memtouch.s'), 'utf8');
  const sized = src.replace(/^(\.equ\s+PAGES\s*,\s*)\d+/m, `$1${PAGES}`);
  if (READ_PASS) return sized;
  const bound = arch === 'x86_64' ? /cmp\s+ecx, PAGES/g : /cmp\s+x10, #PAGES/g;
  let seen = 0;
  const cut = sized.replace(bound, (m) => (++seen === 2 ? m.replace('PAGES', '1') : m));
  if (seen !== 2) throw new Error(`${arch} memtouch: expected two loop bounds, found ${seen}`);
  return cut;
}

async function memtouch(arch: Arch): Promise<GuestImage> {
  const path = packagePath('guests', arch, 'memtouch.s');
  return loadGuestBytes(new TextEncoder().encode(guestSource(arch)), path, { memBytes: MEM });
}

/* The host frame of every guest RAM page after a Machine's run (untouched pages: themselves). */
function framesOf(m: Machine, base: number): BareFrames {
  const frame = new Uint32Array(MEM / PAGE_SIZE);
  for (let i = 0; i < frame.length; i++) frame[i] = m.frameOf(gpa(base + i * PAGE_SIZE)) ?? i;
  return { frame, hostBytes: m.vm!.mem.bytes };
}

function machineRun(img: GuestImage, format: FormatName): Run & { counter: CounterKind; frames: BareFrames } {
  const t00 = now();
  const m = new Machine(img, { memBytes: MEM, format });
  if (CALLS && !WITH_SETUP) takeEngineCalls(); // the construction's calls are not the run's
  const t0 = WITH_SETUP ? t00 : now();
  const stop = m.run();
  const ms = now() - t0;
  const calls = takeEngineCalls();
  if (!/read back ok/.test(m.console))
    throw new Error(`${img.arch}/${format}: memtouch failed: ${stop.message}`);
  const s = m.stats()!;
  const frames = framesOf(m, LAYOUT[img.arch].ramBase);
  const run = {
    ms,
    fills: m.fills,
    faults: s.faults.total,
    insns: m.instructions,
    calls,
    counter: m.counter,
    frames,
  };
  m.close();
  return run;
}

function bareRun(img: GuestImage, counter: CounterKind, frames: BareFrames): Run {
  takeEngineCalls();
  const b = rawBareFills(img, MEM, counter, BARE_IDENTITY ? undefined : frames);
  return { ms: b.ms, fills: b.fills, faults: 0, insns: b.insns, calls: takeEngineCalls() };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
};

/* min / median / max, each through `fmt`. */
function spread(xs: readonly number[], fmt: (x: number) => string): string {
  return `${fmt(Math.min(...xs))} / ${fmt(median(xs))} / ${fmt(Math.max(...xs))}`;
}

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const two = (x: number): string => x.toFixed(2);

/* The rounds of one architecture: per side, its runs (round 0, the warm-up, dropped). */
function rounds(img: GuestImage): { bare: Run[]; nested: Map<FormatName, Run[]>; counter: CounterKind } {
  let counter: CounterKind = 'hook';
  const bare: Run[] = [];
  const nested = new Map<FormatName, Run[]>(FORMATS.map((f) => [f, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    const machines = FORMATS.map((f) => machineRun(img, f));
    counter = machines[0].counter;
    const b = bareRun(img, counter, machines[0].frames); // the counter and the frames the Machines had
    if (round === 0) continue;
    bare.push(b);
    FORMATS.forEach((f, i) => nested.get(f)!.push(machines[i]));
  }
  return { bare, nested, counter };
}

/* What both sides did, so the reader can see they did the same (and what each asked the engine). */
function sameWork(arch: Arch, bare: Run, m: Run, format: FormatName): string[] {
  const same = bare.fills === m.fills && Math.abs(bare.insns - m.insns) <= 2;
  const rows = [
    `${arch.padEnd(7)} ${format.padEnd(4)} work: bare ${int(bare.fills)} fills ${int(bare.insns)} insns,` +
      ` nested ${int(m.fills)} fills (${int(m.faults)} faults) ${int(m.insns)} insns: ${same ? 'same' : 'DIFFERENT'}`,
  ];
  if (CALLS) {
    const floor = Math.floor(bare.fills / 100); // calls made for about every fill, or more
    rows.push(`        bare calls at fill rate:   ${frequentCalls(bare.calls, floor)}`);
    rows.push(`        nested calls at fill rate: ${frequentCalls(m.calls, floor)}`);
  }
  return rows;
}

function archRows(arch: Arch, bare: Run[], nested: Map<FormatName, Run[]>): string[] {
  const bareRates = bare.map((b) => b.fills / (b.ms / 1000));
  const rows = [`${arch.padEnd(7)} bare ${spread(bareRates, int)} fills/s`];
  for (const format of FORMATS) {
    const runs = nested.get(format)!;
    const rates = runs.map((r) => r.faults / (r.ms / 1000));
    const ratio = runs.map((r, i) => rates[i] / bareRates[i]);
    const fillRatio = runs.map((r, i) => r.fills / (r.ms / 1000) / bareRates[i]);
    rows.push(
      `${arch.padEnd(7)} ${format.padEnd(4)} ${spread(rates, int)} faults/s = ${spread(ratio, two)} x bare` +
        `  (fills ${spread(fillRatio, two)} x bare)`,
    );
  }
  return [...rows, ...FORMATS.flatMap((f) => sameWork(arch, bare[0], nested.get(f)![0], f))];
}

async function main(): Promise<void> {
  if (CALLS) countEngineCalls();
  const load0 = loadavg();
  const rows: string[] = [];
  for (const arch of ARCHES) {
    const { bare, nested, counter } = rounds(await memtouch(arch));
    rows.push(`${arch}: instruction counter '${counter}' on both sides`, ...archRows(arch, bare, nested));
  }
  const load1 = loadavg();
  const clock = args.includes('--wall') ? 'wall-clock' : 'CPU time';
  const pass = READ_PASS ? 'write and read pass' : 'write pass';
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(
    `nested-faults (${ROUNDS} rounds, min / median / max, ${clock}, memtouch ${pass} over ${PAGES} pages)\n` +
      `load average before ${load(load0)}, after ${load(load1)}\n${rows.join('\n')}\n`,
  );
}

await main();
