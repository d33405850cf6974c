/*
 * One VM of a shared-host run, as `--vm "GUEST [options]"` names it: the guest and the options that
 * are each VM's own. Every VM of a run is a VmSpec, whether it came from a positional guest (which
 * takes the command line's options) or from a --vm value (which takes its own, and the command
 * line's for the rest), so the run and the TUI build VMs from one list.
 *
 *   per VM (inside --vm)   --arch --load --mem --cpus --max-insns --format
 *   host-wide (outside)    --host-mem --host-layout --seed --quantum --merge* --trace --json
 *                          --reclaim --dirty-* --timeout: one host, one schedule, one output
 *
 * Each --vm value is parsed by yargs itself, with the same declarations as the command line's own
 * flags (cli/guest-options.ts) minus their defaults, so "not given" can fall back to the command
 * line's value. Validation is declared in the builder (coerce, choices, a check for exactly one
 * guest and single values); a failure becomes one UsageError that names the VM and its text,
 * which the CLI prints as one line with exit status 2.
 *
 * The VM ids are the order of the run: positional guests first, then each --vm in command-line
 * order (vm0, vm1, ...). The entry format is each VM's own: every VM has its own GPT over the one
 * table pool, and the pool hands out frames without reading entries (a steal goes through the
 * owner's callbacks), so EPT, nPT and stage-2 VMs can share a host.
 *
 * Invariant: a VmSpec always has a guest, a RAM size and a vCPU count; parseVmSpec never returns
 * a spec yargs did not accept.
 */
import yargs, { type Argv } from 'yargs';
import type { Arch } from '../emulator/arch.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';
import { UsageError } from './errors.js';
import { checkSingleValues } from './flag-checks.js';
import {
  ARCH_OPTION,
  CPUS_OPTION,
  formatOption,
  LOAD_OPTION,
  MAX_INSNS_OPTION,
  MEM_OPTION,
  type ExecArgs,
} from './guest-options.js';

export interface VmSpec {
  readonly guest: string;
  readonly arch?: Arch;
  readonly load?: number;
  readonly mem: number;
  readonly cpus: number;
  readonly maxInsns?: number;
  readonly format?: FormatName;
}

/** The options a --vm value may give (the README's per-VM table lists the same). */
export const VM_OPTIONS = ['arch', 'load', 'mem', 'cpus', 'max-insns', 'format'] as const;

/** run's more guests after the first (each takes the command line's options). */
export const GUESTS_POSITIONAL = {
  describe: 'more guests: every guest runs on one shared host, round-robin, consoles tagged [vm0] [vm1] ...',
  type: 'string',
  array: true,
} as const;

/** run's --vm flag itself (repeatable; each value is parsed by vmParser). */
export const VM_FLAG = {
  type: 'string',
  array: true,
  nargs: 1,
  requiresArg: true,
  describe: `one more guest with its own options, quoted: --vm "GUEST --mem 4M --cpus 2"; repeatable; per VM: ${VM_OPTIONS.map((o) => `--${o}`).join(' ')} (the rest are the whole host's); these VMs follow the positional guests`,
} as const;

/* A declaration without its default: a per-VM option not given takes the command line's value. */
function noDefault<T extends object>(decl: T): Omit<T, 'default'> {
  const { default: _, ...rest } = decl as T & { default?: unknown };
  return rest;
}

/** The per-VM parser: what --vm accepts, with its validation declared (exported for the TUI). */
export function vmParser(): Argv {
  return yargs()
    .parserConfiguration({ 'camel-case-expansion': false }) // an unknown flag is named once
    .option('arch', ARCH_OPTION)
    .option('load', LOAD_OPTION)
    .option('mem', noDefault(MEM_OPTION))
    .option('cpus', noDefault(CPUS_OPTION))
    .option('max-insns', MAX_INSNS_OPTION)
    .option('format', formatOption())
    .strictOptions()
    .check((a) => {
      checkSingleValues(a, { boolean: [], array: [] });
      if (a._.length !== 1)
        throw new UsageError(a._.length === 0 ? 'names no guest' : `names ${a._.length} guests, give one`);
      return true;
    })
    .help(false)
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
}

/** The spec of VM `id` from its --vm text, the command line's options filling what it leaves out. */
export function parseVmSpec(text: string, id: number, line: ExecArgs): VmSpec {
  let a: Record<string, unknown>;
  try {
    a = vmParser().parseSync(text) as Record<string, unknown>;
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/\s*\n\s*/g, ' ').trim() : String(err);
    const hint = /Unknown argument/.test(why)
      ? ` (per VM: ${VM_OPTIONS.map((o) => `--${o}`).join(' ')}; the rest are the whole host's)`
      : '';
    throw new UsageError(`--vm "${text}" (vm${id}): ${why}${hint}`);
  }
  return {
    guest: String((a._ as unknown[])[0]),
    arch: (a.arch as Arch | undefined) ?? line.arch,
    load: (a.load as number | undefined) ?? line.load,
    mem: (a.mem as number | undefined) ?? line.mem,
    cpus: (a.cpus as number | undefined) ?? line.cpus ?? 1,
    maxInsns: (a['max-insns'] as number | undefined) ?? line['max-insns'],
    format: (a.format as FormatName | undefined) ?? (line.format as FormatName | undefined),
  };
}

/** A positional guest's spec: the command line's options as they are. */
export function lineVmSpec(guest: string, line: ExecArgs): VmSpec {
  const { arch, load, mem, cpus = 1 } = line;
  return { guest, arch, load, mem, cpus, maxInsns: line['max-insns'], format: line.format as FormatName };
}

/** Every VM of a run: the positional guests, then each --vm in order (their ids follow). */
export function vmSpecs(positional: readonly string[], vms: readonly string[], line: ExecArgs): VmSpec[] {
  const out = positional.map((g) => lineVmSpec(g, line));
  for (const text of vms) out.push(parseVmSpec(text, out.length, line));
  return out;
}
