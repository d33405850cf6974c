/*
 * The options of a live migration, shared by `nestvm migrate` and `nestvm tui --migrate`: the
 * link (--bandwidth pages per --slice of guest time), the stop rule (--downtime-pages,
 * --max-rounds), the warm-up (--start-after) and the destination's host (--dst-format,
 * --dst-host-layout, --dst-seed), with what a migration cannot honour refused in the builder.
 *
 * `migrationPlan` turns the parsed flags into what emulator/migration/migration.ts needs: the two
 * sides' Machine options (the destination's default to the source's, its seed to the source's + 1,
 * so nothing of the source's host side crosses over by accident) and the numeric parameters.
 * `migrate` alone adds post-copy (withPostcopyOptions: --postcopy, --postcopy-after); the plan
 * carries it apart from the pre-copy's numbers, so the TUI's migration never sees it.
 * Invariant: the numbers are validated here (parse.ts), so the engine never sees a bad one.
 */
import type { Argv } from 'yargs';
import { DEFAULT_FORMAT } from '../emulator/nested-vm.js';
import type { GuestImage } from '../emulator/image.js';
import type { MachineOptions } from '../emulator/machine.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';
import type { HostLayout } from '../mmu/host/reservoir.js';
import { UsageError } from './errors.js';
import {
  formatOption,
  hostLayoutOption,
  machineOptions,
  seedOption,
  type ExecArgs,
} from './guest-options.js';
import type { MigrateParams, SideText } from './migrate-report.js';
import { parseCount, parseWhole } from './parse.js';

export interface MigrationArgs extends ExecArgs {
  bandwidth: number;
  slice: number;
  'downtime-pages': number;
  'max-rounds': number;
  'start-after': number;
  'dst-format'?: FormatName;
  'dst-host-layout'?: HostLayout;
  'dst-seed'?: number;
  postcopy?: boolean;
  'postcopy-after'?: number;
}

export const MIGRATE_DEFAULTS = {
  bandwidth: 32,
  slice: 10_000,
  downtimePages: 32,
  maxRounds: 10,
  postcopyAfter: 1,
} as const;

/* A numeric option of the link or the stop rule: a string on the command line, parsed once. */
const numberOption = (flag: string, fallback: number, describe: string, zeroAllowed = false) => ({
  type: 'string' as const,
  requiresArg: true,
  default: String(fallback),
  coerce: (v: unknown) => (zeroAllowed ? parseWhole(flag, v) : parseCount(flag, v)),
  describe,
});

/** The link, the stop rule, the warm-up and the destination's host (`what`: "" or " (with --migrate)"). */
export function withMigrationOptions<T>(y: Argv<T>, what = '') {
  const d = MIGRATE_DEFAULTS;
  const n = (flag: string, v: number, text: string, zero = false) => numberOption(flag, v, text + what, zero);
  return y
    .option('bandwidth', n('bandwidth', d.bandwidth, 'pages the link carries per slice of guest time'))
    .option('slice', n('slice', d.slice, 'guest instructions in one slice (the unit of --bandwidth)'))
    .option(
      'downtime-pages',
      n(
        'downtime-pages',
        d.downtimePages,
        'stop-and-copy once fewer pages than this are dirty after a round',
        true,
      ),
    )
    .option(
      'max-rounds',
      n('max-rounds', d.maxRounds, 'stop-and-copy after this many rounds at the latest (round 0 included)'),
    )
    .option('start-after', n('start-after', 0, 'guest instructions the source runs before round 0', true))
    .option('dst-format', formatOption(`the destination's entry format (default: --format)${what}`))
    .option('dst-host-layout', {
      ...hostLayoutOption(`the destination's host layout (default: --host-layout)${what}`),
      default: undefined,
    })
    .option(
      'dst-seed',
      seedOption('dst-seed', `seed of the destination's scattered layout (default: --seed + 1)${what}`, null),
    );
}

/** `migrate`'s post-copy: switch over after --postcopy-after rounds and let the pages follow. */
export function withPostcopyOptions<T>(y: Argv<T>) {
  return y
    .option('postcopy', {
      type: 'boolean',
      default: false,
      describe:
        'post-copy: after --postcopy-after rounds resume on the destination at once, missing pages following on demand and in the background',
    })
    .option('postcopy-after', {
      type: 'string',
      requiresArg: true,
      coerce: (v: unknown) => (v === undefined ? undefined : parseWhole('postcopy-after', v)),
      describe: `pre-copy rounds before the post-copy switch (0: none; with --postcopy; default ${MIGRATE_DEFAULTS.postcopyAfter})`,
    })
    .check((a) => {
      if (a['postcopy-after'] !== undefined && a.postcopy !== true)
        throw new UsageError('--postcopy-after applies only with --postcopy');
      return true;
    });
}

/** What a migration cannot honour: no dirty log, an instruction or time limit, swapped-out RAM. */
export function refuseUnmigratable(a: Record<string, unknown>): true {
  if (a['dirty-tracking'] === false) throw new UsageError('--no-dirty-tracking: migrate needs the dirty log');
  if (a['max-insns'] !== undefined || a.timeout !== undefined)
    throw new UsageError('--max-insns and --timeout do not apply to migrate: the guest runs to its end');
  if (a['host-mem'] !== undefined && (a['host-mem'] as number) < (a.mem as number))
    throw new UsageError('--host-mem below --mem: migrate needs guest RAM fully backed (no swap)');
  return true;
}

/** The two sides and the parameters of one migration, as the flags ask. */
export interface MigrationPlan {
  readonly source: MachineOptions;
  readonly destination: MachineOptions;
  readonly sides: { readonly source: SideText; readonly destination: SideText };
  readonly options: MigrateParams;
  /** Post-copy (migrate --postcopy), or undefined for a pre-copy migration. */
  readonly postcopy: { readonly after: number } | undefined;
}

export function migrationPlan(image: GuestImage, args: MigrationArgs): MigrationPlan {
  const src = machineOptions(args);
  const srcFormat = src.format ?? DEFAULT_FORMAT[image.arch];
  const dst = {
    ...src,
    format: args['dst-format'] ?? srcFormat,
    hostLayout: args['dst-host-layout'] ?? src.hostLayout,
    seed: args['dst-seed'] ?? src.seed + 1,
  };
  return {
    source: src,
    destination: dst,
    sides: {
      source: { format: srcFormat, hostLayout: src.hostLayout, seed: src.seed },
      destination: { format: dst.format, hostLayout: dst.hostLayout, seed: dst.seed },
    },
    options: {
      bandwidth: args.bandwidth,
      slice: args.slice,
      downtimePages: args['downtime-pages'],
      maxRounds: args['max-rounds'],
      startAfter: args['start-after'],
    },
    postcopy:
      args.postcopy === true
        ? { after: args['postcopy-after'] ?? MIGRATE_DEFAULTS.postcopyAfter }
        : undefined,
  };
}
