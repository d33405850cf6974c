/*
 * The same-page merging options, as `run` and `tui` both take them: --merge, and with it
 * --merge-interval N and --merge-pages K (emulator/host-run.ts MergeOptions). With --merge the
 * guests run on one shared host, even a single one (cli/run-multi.ts).
 *
 * Invariants: --merge-interval and --merge-pages without --merge are refused in one line (exit 2,
 * UsageError); mergePlan gives null exactly when --merge is off.
 */
import type { Argv } from 'yargs';
import { DEFAULT_MERGE_INTERVAL, DEFAULT_MERGE_PAGES, type MergeOptions } from '../emulator/host-run.js';
import { UsageError } from './errors.js';
import { parseCount } from './parse.js';

export interface MergeArgs {
  merge: boolean;
  'merge-interval'?: number;
  'merge-pages'?: number;
}

export function withMergeOptions<T>(y: Argv<T>) {
  return y
    .option('merge', {
      type: 'boolean',
      default: false,
      describe:
        'same-page merging across the guests (and within each): identical pages share one read-only host frame',
    })
    .option('merge-interval', {
      type: 'string',
      requiresArg: true,
      describe: `with --merge: a scanner pass every N guest instructions, all guests together (default ${DEFAULT_MERGE_INTERVAL})`,
      coerce: (v: unknown) => parseCount('merge-interval', v),
    })
    .option('merge-pages', {
      type: 'string',
      requiresArg: true,
      describe: `with --merge: guest pages with a frame of their own that one pass looks at (default ${DEFAULT_MERGE_PAGES})`,
      coerce: (v: unknown) => parseCount('merge-pages', v),
    });
}

/** Refuse --merge-interval and --merge-pages without --merge (a yargs check). */
export function checkMergeFlags(a: Record<string, unknown>): true {
  for (const flag of ['merge-interval', 'merge-pages'])
    if (a[flag] !== undefined && a.merge !== true) throw new UsageError(`--${flag} needs --merge`);
  return true;
}

/** The merge options asked for, or null without --merge. */
export function mergePlan(args: MergeArgs): MergeOptions | null {
  if (!args.merge) return null;
  return {
    interval: args['merge-interval'] ?? DEFAULT_MERGE_INTERVAL,
    pages: args['merge-pages'] ?? DEFAULT_MERGE_PAGES,
  };
}
