/*
 * The options every command that loads a guest shares (run, disasm, walk, tui), declared once with
 * their validation so each command's builder stays a list of what it adds.
 */
import type { Argv } from 'yargs';
import { ARCHES, DEFAULT_GUEST_MEM, type Arch } from '../emulator/arch.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';
import { FORMAT_NAMES } from '../mmu/gpt/formats.js';
import { parseAddress, parseCount, parseSize } from './parse.js';

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
  format?: FormatName;
  'host-mem'?: number;
  'dirty-tracking': boolean;
}

export function withGuestOptions<T>(y: Argv<T>) {
  return y
    .positional('guest', {
      describe: 'guest program: ELF64 executable, raw binary (with --arch), or assembly source (.s/.asm)',
      type: 'string',
      demandOption: true,
    })
    .option('arch', {
      describe: 'guest architecture (needed for raw binaries; otherwise taken from the file)',
      choices: ARCHES,
    })
    .option('load', {
      describe: 'guest-physical load address of a raw binary or assembly source',
      type: 'string',
      coerce: (v: unknown) => parseAddress('load', v),
    })
    .option('mem', {
      describe: 'guest RAM size (e.g. 16M, 64MiB)',
      type: 'string',
      default: `${DEFAULT_GUEST_MEM / 1024 / 1024}M`,
      coerce: (v: unknown) => parseSize('mem', v),
    });
}

export function withExecOptions<T>(y: Argv<T>) {
  return withGuestOptions(y)
    .option('max-insns', {
      describe: 'stop the guest after this many instructions (exit status 6)',
      type: 'string',
      coerce: (v: unknown) => parseCount('max-insns', v),
    })
    .option('timeout', {
      describe:
        'stop the guest once it has run this many milliseconds (exit status 6; time paused in tui does not count)',
      type: 'string',
      coerce: (v: unknown) => parseCount('timeout', v),
    })
    .option('format', {
      describe:
        'nested page-table entry format: Intel EPT, AMD nPT or arm64 stage-2 (default ept on x86_64, s2 on arm64)',
      choices: FORMAT_NAMES,
    })
    .option('host-mem', {
      describe:
        'host memory for guest RAM plus nested page tables (default --mem + 1M); squeeze it to see table stealing',
      type: 'string',
      coerce: (v: unknown) => parseSize('host-mem', v),
    })
    .option('dirty-tracking', {
      describe: 'track dirty pages in the nested tables (--no-dirty-tracking turns it off)',
      type: 'boolean',
      default: true,
    });
}

/** The Machine options the exec flags ask for. */
export function machineOptions(args: ExecArgs) {
  return {
    memBytes: args.mem,
    maxInsns: args['max-insns'],
    timeoutMs: args.timeout,
    format: args.format,
    hostBytes: args['host-mem'],
    dirtyTracking: args['dirty-tracking'],
  };
}
