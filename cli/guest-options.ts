/*
 * The options every command that loads a guest shares (run, disasm, walk, tui), declared once with
 * their validation so each command's builder stays a list of what it adds.
 *
 * Every option that takes a value requires one (`--mem` alone is a usage error, not the default),
 * and the sizes are bounded by what host memory can hold: host RAM stays below 4 GiB (every
 * host-physical address fits 32 bits, mmu/host/host-memory.ts), and guest RAM leaves room in it
 * for the default 1 MiB of page tables. The least --host-mem depends on the guest's architecture
 * and on --mem, so it is checked once the guest is loaded, when the Machine is built
 * (requireHostMinimum; the figure and its parts are in emulator/instruction-footprint.ts): below
 * it, the refusal names the minimum (exit 2).
 */
import { DIRTY_LOG_MODES, type DirtyLogMode } from '../mmu/vm/ring-harvest.js';
import type { Argv } from 'yargs';
import { ARCHES, DEFAULT_GUEST_MEM, type Arch } from '../emulator/arch.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';
import { FORMAT_NAMES } from '../mmu/gpt/formats.js';
import { HOST_MEMORY_LIMIT } from '../mmu/host/host-memory.js';
import { POLICY_NAMES, type PolicyName } from '../mmu/host/replacement-policy.js';
import { DEFAULT_LAYOUT_SEED, HOST_LAYOUTS, type HostLayout } from '../mmu/host/reservoir.js';
import { DEFAULT_TABLE_ROOM } from '../emulator/nested-vm.js';
import { DEFAULT_QUANTUM, MAX_CPUS } from '../emulator/vcpu-set.js';
import { sampleOf } from '../emulator/loaders/index.js';
import { PACKAGE_ROOT } from '../emulator/package-root.js';
import { parseAddress, parseCount, parseSize, parseWhole, type SizeLimit } from './parse.js';
import { UsageError } from './errors.js';

const MIB = 1024 * 1024;

/** --host-mem: all of host memory, which must stay below 4 GiB. */
export const HOST_MEM_LIMIT: SizeLimit = {
  max: HOST_MEMORY_LIMIT,
  why: 'host memory must stay below 4 GiB',
};

/** --mem: guest RAM plus the default page-table room must fit in host memory (whole MiB). */
export const GUEST_MEM_LIMIT: SizeLimit = {
  max: Math.floor((HOST_MEMORY_LIMIT - DEFAULT_TABLE_ROOM) / MIB) * MIB,
  why: 'guest RAM and its page tables must fit in host memory below 4 GiB',
};

export interface GuestArgs {
  guest: string;
  arch?: Arch;
  load?: number;
  mem: number;
  verbose: boolean;
}

export interface ExecArgs extends GuestArgs {
  'max-insns'?: number;
  timeout?: number;
  /** The entry format (a FormatName), except in `xp`, where it is the dump's format. */
  format?: unknown;
  /** `xp`'s name for the entry format (see withExecOptions). */
  'nested-format'?: FormatName;
  'host-mem'?: number;
  'dirty-tracking': boolean;
  'dirty-log': DirtyLogMode;
  reclaim: PolicyName;
  'host-layout': HostLayout;
  seed: number;
  /** Absent: one, or what the guest asks for (sampleVcpus, a restored snapshot). */
  cpus?: number;
  quantum?: number;
}

/* The declarations that `run --vm` takes per VM too (cli/vm-spec.ts), each declared once here. */

export const ARCH_OPTION = {
  describe: 'guest architecture (needed for raw binaries; otherwise taken from the file)',
  choices: ARCHES,
  requiresArg: true,
} as const;

export const LOAD_OPTION = {
  describe: 'guest-physical load address of a raw binary or assembly source',
  type: 'string',
  requiresArg: true,
  coerce: (v: unknown) => parseAddress('load', v),
} as const;

export const MEM_OPTION = {
  describe: 'guest RAM size (e.g. 16M, 64MiB)',
  type: 'string',
  requiresArg: true,
  default: `${DEFAULT_GUEST_MEM / MIB}M`,
  coerce: (v: unknown) => parseSize('mem', v, GUEST_MEM_LIMIT),
} as const;

export const MAX_INSNS_OPTION = {
  describe: 'stop the guest after this many instructions (exit status 6)',
  type: 'string',
  requiresArg: true,
  coerce: (v: unknown) => parseCount('max-insns', v),
} as const;

/** The guest options; `demandGuest` false leaves the positional to the command's own check (run --restore). */
export function withGuestOptions<T>(y: Argv<T>, demandGuest = true) {
  return y
    .positional('guest', {
      describe: 'guest program: ELF64 executable, raw binary (with --arch), or assembly source (.s/.asm)',
      type: 'string',
      demandOption: demandGuest,
    })
    .option('arch', ARCH_OPTION)
    .option('load', LOAD_OPTION)
    .option('mem', MEM_OPTION);
}

const DIRTY_LOG_OPTION = {
  describe:
    "how harvests find dirty pages: read the nested tables (bitmap), or a per-vCPU PML log drained into a dirty ring (ring, Intel PML's way)",
  choices: DIRTY_LOG_MODES,
  requiresArg: true,
  default: 'bitmap' as DirtyLogMode,
} as const;

// No yargs default for these two: left out, a sample made for several vCPUs gets its own count
// and a restored snapshot its own count and quantum (sampleVcpus, cli/snapshot-options.ts).
export const CPUS_OPTION = {
  describe: `vCPUs, 1 to ${MAX_CPUS}: each its own engine, client and TLB, run round-robin (secondaries start through PSCI CPU_ON on arm64, the ACPI wakeup mailbox on x86-64); default 1, or the sample's own count (smp-sum: 4), or the restored snapshot's`,
  type: 'string',
  requiresArg: true,
  coerce: (v: unknown) => parseCpus(v),
} as const;

const QUANTUM_OPTION = {
  describe: `instructions each vCPU runs before the next one's turn (with --cpus above 1); default ${DEFAULT_QUANTUM}, or the restored snapshot's`,
  type: 'string',
  requiresArg: true,
  coerce: (v: unknown) => parseCount('quantum', v),
} as const;

/*
 * The nested entry format is --format everywhere but in `xp`, whose --format says how to print the
 * bytes (as in the issue that asked for it); there it is --nested-format (`formatFlag`).
 */
export function withExecOptions<T>(
  y: Argv<T>,
  formatFlag: 'format' | 'nested-format' = 'format',
  demandGuest = true,
) {
  return withGuestOptions(y, demandGuest)
    .option('max-insns', MAX_INSNS_OPTION)
    .option('timeout', {
      describe:
        'stop the guest once it has run this many milliseconds (exit status 6; time paused in tui does not count)',
      type: 'string',
      requiresArg: true,
      coerce: (v: unknown) => parseCount('timeout', v),
    })
    .option(formatFlag, formatOption())
    .option('host-mem', {
      describe:
        'host memory for guest RAM plus nested page tables (default --mem + 1M); squeeze it to see table stealing, down to the least in which every instruction can retire (nestvm names it when refusing less)',
      type: 'string',
      requiresArg: true,
      coerce: (v: unknown) => parseSize('host-mem', v, HOST_MEM_LIMIT),
    })
    .option('dirty-tracking', {
      describe: 'track dirty pages in the nested tables (--no-dirty-tracking turns it off)',
      type: 'boolean',
      default: true,
    })
    .option('dirty-log', DIRTY_LOG_OPTION)
    .option('reclaim', {
      describe:
        'replacement policy when --host-mem is below --mem: second chance over the nested Accessed bits, arrival order, or seeded random',
      choices: POLICY_NAMES,
      requiresArg: true,
      default: 'clock' as PolicyName,
    })
    .option('cpus', CPUS_OPTION)
    .option('quantum', QUANTUM_OPTION)
    .option('host-layout', hostLayoutOption())
    .option(
      'seed',
      seedOption(
        'seed',
        'seed of the scattered host layout and of --reclaim random: the same seed gives the same frames and victims',
      ),
    );
}

/* The declarations of --format, --host-layout and --seed, shared with migrate's --dst-* twins. */

export const formatOption = (
  describe = 'nested page-table entry format: Intel EPT, AMD nPT or arm64 stage-2 (default ept on x86_64, s2 on arm64)',
) => ({ describe, choices: FORMAT_NAMES, requiresArg: true });

export const hostLayoutOption = (
  describe = 'which host frame each guest page gets: scattered in a seeded order (gpa and hpa differ), or identity',
) => ({ describe, choices: HOST_LAYOUTS, requiresArg: true, default: 'scattered' as HostLayout });

export const seedOption = (
  flag: string,
  describe: string,
  fallback: string | null = String(DEFAULT_LAYOUT_SEED),
) => ({
  describe,
  type: 'string' as const,
  requiresArg: true,
  ...(fallback === null ? {} : { default: fallback }),
  coerce: (v: unknown) => parseWhole(flag, v),
});

/** The Machine options the exec flags ask for (`formatFlag` as given to withExecOptions). */
export function machineOptions(args: ExecArgs, formatFlag: 'format' | 'nested-format' = 'format') {
  return {
    memBytes: args.mem,
    maxInsns: args['max-insns'],
    timeoutMs: args.timeout,
    format: (formatFlag === 'format' ? args.format : args['nested-format']) as FormatName | undefined,
    hostBytes: args['host-mem'],
    dirtyTracking: args['dirty-tracking'],
    dirtyLog: args['dirty-log'],
    // below the least host memory in which every instruction can retire, refuse (exit 2)
    requireHostMinimum: true,
    reclaim: args.reclaim,
    hostLayout: args['host-layout'],
    seed: args.seed,
    cpus: args.cpus,
    quantum: args.quantum,
  };
}

/** With no --cpus: the vCPUs the bundled sample run is made for (its index entry's "cpus"), if any. */
export function sampleVcpus(args: ExecArgs): { cpus?: number } {
  if (args.cpus !== undefined || args.guest === undefined) return {};
  const cpus = sampleOf(args.guest, args.arch, PACKAGE_ROOT)?.cpus;
  return cpus === undefined ? {} : { cpus };
}

/* --cpus: a whole number from 1 to MAX_CPUS. */
function parseCpus(v: unknown): number {
  const n = parseWhole('cpus', v);
  if (n < 1 || n > MAX_CPUS) throw new UsageError(`--cpus must be from 1 to ${MAX_CPUS}, got ${n}`);
  return n;
}
