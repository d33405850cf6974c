/*
 * `nestvm migrate <guest>`: live-migrate a running guest from a source VM to a destination VM on
 * the same host (two Machines in this process), by pre-copy over the dirty log, then stop-and-copy
 * (emulator/migration/). The destination may use another entry format and host layout.
 *
 * Guest time is the clock: a slice is --slice guest instructions, and the link carries
 * --bandwidth pages per slice. The source runs --start-after instructions first; round 0 then
 * sends every populated page, each later round what the guest dirtied during the one before, until
 * fewer than --downtime-pages are dirty or --max-rounds rounds have run. The hand-over sends the
 * rest with the vCPU and device state, checks the RAM of both sides by a hash per page, and the
 * destination runs the guest to its end. Its console and exit are checked against an unmigrated
 * run.
 *
 * Output as `run`'s: the guest's console on stdout (exactly what a plain `run` prints), the report
 * on stderr (cli/migrate-report.ts), or one JSON object on stdout with --json. The status is the
 * guest's, or 4 when a check failed (a differing page is named). --corrupt-page ADDR damages one
 * byte of that page on the destination after the copy, to see the RAM check catch it.
 */
import type { Argv } from 'yargs';
import { LAYOUT } from '../../emulator/arch.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { Migration } from '../../emulator/migration/migration.js';
import { flipByte } from '../../emulator/migration/ram-pages.js';
import { gpa } from '../../mmu/addr.js';
import type { FormatName } from '../../mmu/gpt/entry-format.js';
import { DEFAULT_FORMAT } from '../../emulator/nested-vm.js';
import type { HostLayout } from '../../mmu/host/reservoir.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import {
  formatOption,
  hostLayoutOption,
  machineOptions,
  seedOption,
  withExecOptions,
  type ExecArgs,
} from '../guest-options.js';
import { migrateReport, migrateStatus, migrateText } from '../migrate-report.js';
import { parseAddress, parseCount, parseWhole } from '../parse.js';
import { handle, type Args, type CommandFactory } from './handle.js';

interface MigrateArgs extends ExecArgs {
  json: boolean;
  bandwidth: number;
  slice: number;
  'downtime-pages': number;
  'max-rounds': number;
  'start-after': number;
  'dst-format'?: FormatName;
  'dst-host-layout'?: HostLayout;
  'dst-seed'?: number;
  'corrupt-page'?: number;
}

export const MIGRATE_DEFAULTS = { bandwidth: 32, slice: 10_000, downtimePages: 32, maxRounds: 10 } as const;

export const migrateCommand: CommandFactory = (ctx) => ({
  command: 'migrate <guest>',
  describe: 'live-migrate a running guest to a second VM (pre-copy over the dirty log), and verify it',
  builder: migrateOptions,
  handler: handle<MigrateArgs>((args) => migrateGuest(ctx, args)),
});

/* A numeric option of the link or the stop rule: a string on the command line, parsed once. */
const numberOption = (flag: string, fallback: number, describe: string, zeroAllowed = false) => ({
  type: 'string' as const,
  requiresArg: true,
  default: String(fallback),
  coerce: (v: unknown) => (zeroAllowed ? parseWhole(flag, v) : parseCount(flag, v)),
  describe,
});

/* run's options (less those a migration cannot honour), the link, the stop rule and the destination. */
function migrateOptions(y: Argv) {
  const d = MIGRATE_DEFAULTS;
  return withExecOptions(y)
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout instead' })
    .option(
      'bandwidth',
      numberOption('bandwidth', d.bandwidth, 'pages the link carries per slice of guest time'),
    )
    .option(
      'slice',
      numberOption('slice', d.slice, 'guest instructions in one slice (the unit of --bandwidth)'),
    )
    .option(
      'downtime-pages',
      numberOption(
        'downtime-pages',
        d.downtimePages,
        'stop-and-copy once fewer pages than this are dirty after a round',
        true,
      ),
    )
    .option(
      'max-rounds',
      numberOption(
        'max-rounds',
        d.maxRounds,
        'stop-and-copy after this many rounds at the latest (round 0 included)',
      ),
    )
    .option(
      'start-after',
      numberOption('start-after', 0, 'guest instructions the source runs before round 0', true),
    )
    .option('dst-format', formatOption("the destination's entry format (default: --format)"))
    .option('dst-host-layout', {
      ...hostLayoutOption("the destination's host layout (default: --host-layout)"),
      default: undefined,
    })
    .option(
      'dst-seed',
      seedOption('dst-seed', "seed of the destination's scattered layout (default: --seed + 1)", null),
    )
    .option('corrupt-page', {
      type: 'string',
      requiresArg: true,
      coerce: (v: unknown) => parseAddress('corrupt-page', v),
      describe:
        'flip a byte of the page at this guest-physical address on the destination after the copy (the RAM check names it)',
    })
    .check(refuseUnmigratable)
    .example('$0 migrate c-writer', 'pre-copy the C memory writer, then finish it on the destination')
    .example('$0 migrate c-writer --dst-format npt', 'from Intel EPT to AMD nPT')
    .example('$0 migrate c-writer --arch arm64 --downtime-pages 8 --json', 'the rounds as JSON');
}

/* What a migration cannot honour: no dirty log, an instruction or time limit, swapped-out RAM. */
function refuseUnmigratable(a: Record<string, unknown>): true {
  if (a['dirty-tracking'] === false) throw new UsageError('--no-dirty-tracking: migrate needs the dirty log');
  if (a['max-insns'] !== undefined || a.timeout !== undefined)
    throw new UsageError('--max-insns and --timeout do not apply to migrate: the guest runs to its end');
  if (a['host-mem'] !== undefined && (a['host-mem'] as number) < (a.mem as number))
    throw new UsageError('--host-mem below --mem: migrate needs guest RAM fully backed (no swap)');
  return true;
}

/* Load, migrate, report. */
async function migrateGuest(ctx: CliContext, args: Args<MigrateArgs>): Promise<void> {
  const image = await loadGuest(args.guest, { arch: args.arch, load: args.load, memBytes: args.mem });
  const src = machineOptions(args);
  const srcFormat = src.format ?? DEFAULT_FORMAT[image.arch];
  const dst = {
    ...src,
    format: args['dst-format'] ?? srcFormat,
    hostLayout: args['dst-host-layout'] ?? src.hostLayout,
    seed: args['dst-seed'] ?? src.seed + 1,
  };
  const corrupt = args['corrupt-page'];
  if (corrupt !== undefined) checkInRam(image.arch, args.mem, corrupt);
  const options = {
    bandwidth: args.bandwidth,
    slice: args.slice,
    downtimePages: args['downtime-pages'],
    maxRounds: args['max-rounds'],
    startAfter: args['start-after'],
  };
  const migration = new Migration({
    image,
    source: src,
    destination: dst,
    ...options,
    sliceInsns: options.slice,
    plant: corrupt === undefined ? undefined : (m) => flipByte(m, gpa(corrupt)),
  });
  try {
    const report = migrateReport(
      {
        guest: image.origin,
        arch: image.arch,
        source: { format: srcFormat, hostLayout: src.hostLayout, seed: src.seed },
        destination: { format: dst.format, hostLayout: dst.hostLayout, seed: dst.seed },
        options,
      },
      migration.run(),
    );
    if (args.json) ctx.stdout.write(JSON.stringify(report) + '\n');
    else {
      ctx.stdout.write(report.console);
      ctx.stderr.write(migrateText(report));
    }
    ctx.status = migrateStatus(report);
  } finally {
    migration.close();
  }
}

function checkInRam(arch: keyof typeof LAYOUT, mem: number, addr: number): void {
  const base = LAYOUT[arch].ramBase;
  if (addr < base || addr >= base + mem)
    throw new UsageError(`--corrupt-page: 0x${addr.toString(16)} is not in guest RAM`);
}
