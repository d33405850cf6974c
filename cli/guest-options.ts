/*
 * The options every command that loads a guest shares (run, disasm, walk, tui), declared once with
 * their validation so each command's builder stays a list of what it adds.
 */
import type { Argv } from 'yargs';
import { ARCHES, DEFAULT_GUEST_MEM, type Arch } from '../emulator/arch.js';
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
      describe: 'stop the guest after this many milliseconds of wall-clock time (exit status 6)',
      type: 'string',
      coerce: (v: unknown) => parseCount('timeout', v),
    });
}
