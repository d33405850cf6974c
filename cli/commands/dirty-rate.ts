/*
 * `nestvm dirty-rate <guest>`: how fast a guest dirties its memory, measured as QEMU's
 * calc_dirty_rate does: run the guest and harvest the dirty log over windows of `--window N`
 * instructions. Each window is one exact slice of the Machine (instruction counts do not depend on
 * the slice size), so window k covers instructions (k-1)N .. kN, and the harvest after it (get and
 * clear, in either --dirty-log mode) counts the pages written in it:
 *
 *   window  instructions  dirty pages  pages per M insns
 *        1       100,000          913           9,130.0
 *
 * then one summary line: windows, instructions, dirty pages in all, the mean per window and per
 * million instructions, the peak window, and how the run ended. A guest that never stops (the
 * `dirtylog` sample) is bounded by `--windows K` (default 10) or `--max-insns`; one that stops sooner
 * ends the table with a shorter last window. One harvest before the first window clears whatever
 * loading left. The guest's console is not shown (the report is the output); `--json` prints the
 * same as one object. Dirty tracking must be on (`--no-dirty-tracking` is a usage error, exit 2).
 */
import type { Argv } from 'yargs';
import { loadGuest } from '../../emulator/loaders/index.js';
import { Machine } from '../../emulator/machine.js';
import type { CliContext } from '../context.js';
import { groupDigits as n } from '../count-text.js';
import { UsageError } from '../errors.js';
import { machineOptions, withExecOptions, type ExecArgs } from '../guest-options.js';
import { parseCount } from '../parse.js';
import { handle, type Args, type CommandFactory } from './handle.js';

interface RateArgs extends ExecArgs {
  window: number;
  windows: number;
  json: boolean;
}

export interface RateWindow {
  window: number;
  instructions: number;
  pages: number;
  pagesPerMillion: number;
}

export interface RateReport {
  guest: string;
  arch: string;
  format: string;
  dirtyLog: string;
  window: number;
  windows: RateWindow[];
  summary: {
    windows: number;
    instructions: number;
    pages: number;
    meanPagesPerWindow: number;
    pagesPerMillion: number;
    peak: { window: number; pages: number } | null;
    stop: { reason: string; code: number } | null;
  };
}

const positive = (name: string) => (v: unknown) => {
  const x = parseCount(name, v);
  if (x === 0) throw new UsageError(`--${name} must be at least 1`);
  return x;
};

export const dirtyRateCommand: CommandFactory = (ctx) => ({
  command: 'dirty-rate <guest>',
  describe:
    'run a guest and sample its dirty log over instruction windows (pages per window, per million instructions)',
  builder: (y: Argv) =>
    withExecOptions(y)
      .option('window', {
        type: 'string',
        requiresArg: true,
        default: '100000',
        describe: 'instructions per sampling window',
        coerce: positive('window'),
      })
      .option('windows', {
        type: 'string',
        requiresArg: true,
        default: '10',
        describe: 'windows to sample at most (the guest may stop sooner, and --max-insns bounds the run too)',
        coerce: positive('windows'),
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print the samples as one JSON object instead',
      })
      .check((a) => {
        if (a['dirty-tracking'] === false)
          throw new UsageError('dirty-rate reads the dirty log: drop --no-dirty-tracking');
        return true;
      })
      .example(
        '$0 dirty-rate dirtylog --window 50000 --windows 5',
        'pages the dirtylog sample writes per window',
      ),
  handler: handle<RateArgs>((args) => dirtyRate(ctx, args)),
});

async function dirtyRate(ctx: CliContext, args: Args<RateArgs>): Promise<void> {
  const image = await loadGuest(args.guest, { arch: args.arch, load: args.load, memBytes: args.mem });
  const m = new Machine(image, { ...machineOptions(args), sliceInsns: args.window });
  try {
    const report = sample(m, args);
    ctx.stdout.write(args.json ? JSON.stringify(report) + '\n' : rateText(report));
  } finally {
    m.close();
  }
}

/* The windows, one slice and one harvest each, until K of them or the guest's stop. */
function sample(m: Machine, args: Args<RateArgs>): RateReport {
  m.harvestDirty(); // what loading left is not the guest's rate
  const windows: RateWindow[] = [];
  let stop: { reason: string; code: number } | null = null;
  while (windows.length < args.windows && stop === null) {
    const before = m.instructions;
    const end = m.runSlice();
    const instructions = m.instructions - before;
    const pages = m.harvestDirty().dirty;
    if (end !== null) stop = { reason: end.reason, code: end.code };
    if (instructions === 0 && end !== null) break;
    windows.push({
      window: windows.length + 1,
      instructions,
      pages,
      pagesPerMillion: perMillion(pages, instructions),
    });
  }
  const instructions = windows.reduce((s, w) => s + w.instructions, 0);
  const pages = windows.reduce((s, w) => s + w.pages, 0);
  const peak = windows.reduce<RateWindow | null>((p, w) => (p === null || w.pages > p.pages ? w : p), null);
  const stats = m.stats();
  return {
    guest: args.guest,
    arch: m.arch,
    format: stats?.format ?? 'none',
    dirtyLog: stats?.dirtyLog.mode ?? 'bitmap',
    window: args.window,
    windows,
    summary: {
      windows: windows.length,
      instructions,
      pages,
      meanPagesPerWindow: windows.length === 0 ? 0 : round1(pages / windows.length),
      pagesPerMillion: perMillion(pages, instructions),
      peak: peak === null ? null : { window: peak.window, pages: peak.pages },
      stop,
    },
  };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const perMillion = (pages: number, insns: number): number =>
  insns === 0 ? 0 : round1((pages * 1e6) / insns);

export function rateText(r: RateReport): string {
  const head = `; dirty rate of ${r.guest} (${r.arch}, ${r.format}, ${r.dirtyLog} dirty log), windows of ${n(r.window)} instructions`;
  const cols = `${'window'.padStart(6)}  ${'instructions'.padStart(12)}  ${'dirty pages'.padStart(11)}  ${'pages per M insns'.padStart(17)}`;
  const rows = r.windows.map(
    (w) =>
      `${String(w.window).padStart(6)}  ${n(w.instructions).padStart(12)}  ${n(w.pages).padStart(11)}  ${w.pagesPerMillion.toFixed(1).padStart(17)}`,
  );
  const s = r.summary;
  const peak = s.peak === null ? '' : `, peak ${n(s.peak.pages)} (window ${s.peak.window})`;
  const end =
    s.stop === null ? 'guest still running' : `guest stopped (${s.stop.reason}, exit status ${s.stop.code})`;
  const summary =
    `; ${s.windows} windows, ${n(s.instructions)} instructions, ${n(s.pages)} dirty pages in all: ` +
    `${s.meanPagesPerWindow.toFixed(1)} per window, ${s.pagesPerMillion.toFixed(1)} per million instructions${peak}; ${end}`;
  return [head, cols, ...rows, summary].join('\n') + '\n';
}
