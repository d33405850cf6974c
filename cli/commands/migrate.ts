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
 * With --postcopy the pre-copy runs --postcopy-after rounds (default 1), then the guest switches
 * over with no RAM page sent and the destination's missing pages follow, by page request at a
 * nested fault and by background push (emulator/migration/postcopy.ts); the final RAM is checked
 * against the unmigrated run's. --trace FILE records the destination's events (page requests
 * and pushes among them).
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
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { withExecOptions } from '../guest-options.js';
import { migrateReport, migrateStatus, migrateText } from '../migrate-report.js';
import {
  migrationPlan,
  refuseUnmigratable,
  withMigrationOptions,
  withPostcopyOptions,
  type MigrationArgs,
} from '../migrate-options.js';
import { parseAddress } from '../parse.js';
import { TraceWriter } from '../trace-writer.js';
import type { MachineEvent } from '../../emulator/events.js';
import { handle, type Args, type CommandFactory } from './handle.js';

interface MigrateArgs extends MigrationArgs {
  json: boolean;
  'corrupt-page'?: number;
  trace?: string;
}

export const migrateCommand: CommandFactory = (ctx) => ({
  command: 'migrate <guest>',
  describe: 'live-migrate a running guest to a second VM (pre-copy over the dirty log), and verify it',
  builder: migrateOptions,
  handler: handle<MigrateArgs>((args) => migrateGuest(ctx, args)),
});

/* run's options (less those a migration cannot honour), the link, the stop rule and the destination. */
function migrateOptions(y: Argv) {
  return withPostcopyOptions(withMigrationOptions(withExecOptions(y)))
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout instead' })
    .option('corrupt-page', {
      type: 'string',
      requiresArg: true,
      coerce: (v: unknown) => parseAddress('corrupt-page', v),
      describe:
        'flip a byte of the page at this guest-physical address on the destination after the copy (the RAM check names it)',
    })
    .option('trace', {
      type: 'string',
      requiresArg: true,
      describe:
        "write the destination's event stream to this file as JSON lines (with --postcopy: page-request, postcopy-push)",
    })
    .check(refuseUnmigratable)
    .example('$0 migrate c-writer', 'pre-copy the C memory writer, then finish it on the destination')
    .example('$0 migrate c-writer --dst-format npt', 'from Intel EPT to AMD nPT')
    .example('$0 migrate c-writer --arch arm64 --downtime-pages 8 --json', 'the rounds as JSON')
    .example(
      '$0 migrate c-writer --postcopy',
      'one round, then resume on the destination and fault the rest over',
    );
}

/* Load, migrate, report. */
async function migrateGuest(ctx: CliContext, args: Args<MigrateArgs>): Promise<void> {
  const image = await loadGuest(args.guest, { arch: args.arch, load: args.load, memBytes: args.mem });
  const plan = migrationPlan(image, args);
  const corrupt = args['corrupt-page'];
  if (corrupt !== undefined) checkInRam(image.arch, args.mem, corrupt);
  const trace = args.trace === undefined ? undefined : new TraceWriter<MachineEvent>(args.trace);
  const migration = new Migration({
    image,
    source: plan.source,
    destination: { ...plan.destination, sink: trace },
    postcopy: plan.postcopy,
    ...plan.options,
    sliceInsns: plan.options.slice,
    plant: corrupt === undefined ? undefined : (m) => flipByte(m, gpa(corrupt)),
  });
  try {
    trace?.open(); // only now, with every option accepted: a refused migration leaves no file
    const report = migrateReport(
      {
        guest: image.origin,
        arch: image.arch,
        ...plan.sides,
        options: plan.options,
        postcopyAfter: plan.postcopy?.after,
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
    trace?.close();
  }
}

function checkInRam(arch: keyof typeof LAYOUT, mem: number, addr: number): void {
  const base = LAYOUT[arch].ramBase;
  if (addr < base || addr >= base + mem)
    throw new UsageError(`--corrupt-page: 0x${addr.toString(16)} is not in guest RAM`);
}
