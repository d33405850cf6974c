/*
 * `run`'s snapshot options, and what they do around the run:
 *
 *   --snapshot-at N --snapshot-file F   when the guest has begun exactly N instructions, write a
 *                                       snapshot of it to F, then run on to the end
 *   --restore F                         start from the snapshot in F instead of the guest's entry
 *                                       (no guest needed: F names it; a guest given must be that name;
 *                                       its vCPU count and quantum unless --cpus / --quantum say)
 *   --diff-from BASE                    with --snapshot-at: write a diff, only the pages written
 *                                       since BASE was taken; with --restore of a diff: its base
 *
 * A diff is taken against BASE (a full snapshot of the same guest). The run must pass through
 * BASE's instruction count (from the entry, or from a --restore at or before it); there the
 * guest's state is checked to encode to BASE's id exactly (same guest, same options that matter
 * to it), and the dirty log is harvested and cleared. At N the harvest names the pages written
 * since (dirtySince in emulator/snapshot/snapshot.ts, which on an overcommitted host adds the
 * pages whose content differs from BASE's).
 *
 * Every failure here -- an unreadable file, a file that is not a good snapshot, a guest, RAM size
 * or architecture that does not match, a count the run never reaches -- is one line and exit 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { LAYOUT, type Arch } from '../emulator/arch.js';
import type { GuestImage } from '../emulator/image.js';
import type { Machine } from '../emulator/machine.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotFile } from '../emulator/snapshot/snapshot-file.js';
import {
  dirtySince,
  mergeDiff,
  SnapshotError,
  takeDiffSnapshot,
  takeSnapshot,
} from '../emulator/snapshot/snapshot.js';
import { PAGE_SIZE } from '../mmu/addr.js';
import { UsageError } from './errors.js';
import { oneValue, parseWhole } from './parse.js';

export interface SnapshotArgs {
  'snapshot-at'?: number;
  'snapshot-file'?: string;
  restore?: string;
  'diff-from'?: string;
}

export function withSnapshotOptions<T>(y: Argv<T>) {
  return y
    .option('snapshot-at', {
      type: 'string',
      requiresArg: true,
      describe: 'write a snapshot when the guest has begun exactly N instructions (needs --snapshot-file)',
      coerce: (v: unknown) => parseWhole('snapshot-at', v),
    })
    .option('snapshot-file', {
      type: 'string',
      requiresArg: true,
      describe: 'where --snapshot-at writes its snapshot',
      coerce: (v: unknown) => oneValue('snapshot-file', v),
    })
    .option('restore', {
      type: 'string',
      requiresArg: true,
      describe: 'continue from the snapshot in FILE (the guest is the one it names)',
      coerce: (v: unknown) => oneValue('restore', v),
    })
    .option('diff-from', {
      type: 'string',
      requiresArg: true,
      describe:
        'with --snapshot-at: write only the pages written since BASE; with --restore of a diff: its base',
      coerce: (v: unknown) => oneValue('diff-from', v),
    })
    .check((a: Record<string, unknown>) => {
      if ((a['snapshot-at'] === undefined) !== (a['snapshot-file'] === undefined))
        throw new UsageError('--snapshot-at N and --snapshot-file FILE go together');
      if (a['diff-from'] !== undefined && a['snapshot-at'] === undefined && a.restore === undefined)
        throw new UsageError(
          '--diff-from BASE needs --snapshot-at (to write a diff) or --restore (of a diff)',
        );
      const vms = Array.isArray(a.vm) && a.vm.length > 0; // run --vm names its guests itself
      if (a.restore === undefined && !vms && (a.guest === undefined || a.guest === ''))
        throw new UsageError('run needs a guest (or --restore FILE, whose snapshot names it)');
      if ((a.restore !== undefined || a['snapshot-at'] !== undefined) && a.gdb !== undefined)
        throw new UsageError('snapshots and --gdb do not go together');
      return true;
    });
}

/** Read and decode a snapshot file; a SnapshotError naming the file and what is wrong with it. */
export function readSnapshotFile(path: string): SnapshotFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SnapshotError(`cannot read snapshot ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    return decodeSnapshot(bytes);
  } catch (e) {
    throw new SnapshotError(`snapshot ${path}: ${(e as Error).message}`);
  }
}

/** Where a `run` starts: a snapshot (with its guest name and the image standing in), or null. */
export interface RestorePoint {
  readonly file: SnapshotFile;
  readonly path: string;
  /** The guest as the snapshot names it, with no segments (restore writes all of RAM). */
  readonly image: GuestImage;
}

const stubImage = (arch: Arch, origin: string): GuestImage => ({
  arch,
  entry: LAYOUT[arch].ramBase,
  segments: [],
  symbols: [],
  origin,
  kind: 'raw',
});

/** --restore's snapshot, laid over its --diff-from base when it is a diff; checked against the args. */
export function restorePoint(args: SnapshotArgs & { guest?: string; arch?: Arch }): RestorePoint | null {
  if (args.restore === undefined) return null;
  const path = args.restore;
  let file = readSnapshotFile(path);
  const s = file.snapshot;
  if (args.guest !== undefined && args.guest !== file.guest)
    throw new SnapshotError(`snapshot ${path} is of guest ${file.guest}, not ${args.guest}`);
  if (args.arch !== undefined && args.arch !== s.arch)
    throw new SnapshotError(`snapshot ${path} is of an ${s.arch} guest, not ${args.arch}`);
  if (s.base !== null) {
    if (args['diff-from'] === undefined)
      throw new SnapshotError(
        `snapshot ${path} is a diff: give its base with --diff-from (id ${s.base.slice(0, 16)})`,
      );
    if (args['snapshot-at'] !== undefined)
      throw new SnapshotError(
        '--diff-from names the base of the diff restored: the new snapshot cannot be a diff',
      );
    const base = baseFile(args['diff-from'], file);
    if (base.id !== s.base)
      throw new SnapshotError(`snapshot ${args['diff-from']} is not the base of ${path} (ids differ)`);
    file = { ...file, snapshot: mergeDiff(base.snapshot, s) };
  }
  return { file, path, image: stubImage(s.arch, file.guest) };
}

/**
 * What a machine restoring `from` takes from the snapshot: guest RAM's size, and where the flags
 * leave them out, the vCPU count and the quantum (given and different, the restore refuses: exit 2).
 */
export function restoredShape(from: RestorePoint, args: { cpus?: number; quantum?: number }) {
  const { vcpus, schedule } = from.file.snapshot.state;
  const cpus = args.cpus ?? vcpus.length;
  const quantum =
    args.quantum ?? (cpus > 1 && Number.isFinite(schedule.quantum) ? schedule.quantum : undefined);
  return { memBytes: from.file.snapshot.memBytes, cpus, ...(quantum === undefined ? {} : { quantum }) };
}

/* A --diff-from file: a full snapshot of the same guest and machine as `of`. */
function baseFile(
  path: string,
  of: { guest: string; snapshot: { arch: Arch; memBytes: number } },
): SnapshotFile {
  const base = readSnapshotFile(path);
  if (base.snapshot.base !== null) throw new SnapshotError(`snapshot ${path} is a diff itself, not a base`);
  if (base.snapshot.arch !== of.snapshot.arch)
    throw new SnapshotError(`snapshot ${path} is of an ${base.snapshot.arch} guest, not ${of.snapshot.arch}`);
  if (base.guest !== of.guest)
    throw new SnapshotError(`snapshot ${path} is of guest ${base.guest}, not ${of.guest}`);
  if (base.snapshot.memBytes !== of.snapshot.memBytes)
    throw new SnapshotError(
      `snapshot ${path} has ${base.snapshot.memBytes} bytes of guest RAM, not ${of.snapshot.memBytes}`,
    );
  return base;
}

/** What --snapshot-at wrote (`run`'s --json key `snapshot`). */
export interface SnapshotWritten {
  file: string;
  instructions: number;
  pages: number;
  bytes: number;
  id: string;
  /** A diff's base id, or null. */
  base: string | null;
}

/** A count at which the run pauses between slices, and what it does there. */
export interface RunPause {
  readonly at: number;
  readonly action: () => void;
}

/**
 * The pauses --snapshot-at (and --diff-from) need in a run of `guest` on `machine`, and where
 * the snapshot written is reported. The run begins at the machine's count now.
 */
export function snapshotPauses(
  args: SnapshotArgs,
  machine: Machine,
  guest: string,
): { pauses: RunPause[]; written: () => SnapshotWritten | null } {
  const at = args['snapshot-at'];
  const file = args['snapshot-file'];
  if (at === undefined || file === undefined) return { pauses: [], written: () => null };
  const start = machine.instructions;
  if (at < start)
    throw new SnapshotError(`--snapshot-at ${at} is before the restored point (${start} instructions)`);
  let written: SnapshotWritten | null = null;
  const write = (base: SnapshotFile | null) => {
    written = writeSnapshot(machine, guest, file, base);
  };
  if (args['diff-from'] === undefined)
    return { pauses: [{ at, action: () => write(null) }], written: () => written };
  if (machine.vm?.vmspace.dirtyTracking !== true)
    throw new UsageError('--diff-from needs dirty tracking (drop --no-dirty-tracking)');
  const base = baseFile(args['diff-from'], {
    guest,
    snapshot: { arch: machine.arch, memBytes: machine.memBytes },
  });
  const b = base.snapshot.state.instructions;
  if (b < start || b > at)
    throw new SnapshotError(
      `--diff-from's snapshot is at ${b} instructions, outside this run's ${start}..${at}`,
    );
  const check = () => {
    if (encodeSnapshot(takeSnapshot(machine), guest).id !== base.id)
      throw new SnapshotError(`at ${b} instructions this run is not the guest ${args['diff-from']} holds`);
    machine.harvestDirty(); // from here on the dirty log counts
  };
  return {
    pauses: [
      { at: b, action: check },
      { at, action: () => write(base) },
    ],
    written: () => written,
  };
}

/* Take the snapshot (a diff over `base` when given), write it, say what was written. */
function writeSnapshot(
  machine: Machine,
  guest: string,
  file: string,
  base: SnapshotFile | null,
): SnapshotWritten {
  const s =
    base === null
      ? takeSnapshot(machine)
      : takeDiffSnapshot(
          machine,
          base.id,
          dirtySince(machine, base.snapshot, new Uint8Array(Math.ceil(machine.memBytes / PAGE_SIZE / 8))),
        );
  const { bytes, id } = encodeSnapshot(s, guest);
  try {
    writeFileSync(file, bytes);
  } catch (e) {
    throw new SnapshotError(`cannot write snapshot ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  return {
    file,
    instructions: s.state.instructions,
    pages: s.pages.length,
    bytes: bytes.length,
    id,
    base: s.base,
  };
}
