/*
 * `--gdb [HOST:]PORT` and `--gdb-wait`, shared by `run` and `tui` (QEMU's -gdb tcp::PORT, -s and
 * -S). PORT 0 lets the system pick a free port; the stub prints the one it got. HOST defaults to
 * 127.0.0.1: the stub gives whoever connects full control of the guest, so it listens on the
 * loopback interface unless told otherwise. --gdb-wait without --gdb is a usage error.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { oneValue } from '../parse.js';
import type { GdbListen } from './server.js';

export const DEFAULT_GDB_HOST = '127.0.0.1';

export interface GdbArgs {
  gdb?: { host: string; port: number };
  'gdb-wait': boolean;
}

/** "1234", ":1234", "0.0.0.0:1234", "localhost:0" -> host and port. */
export function parseGdbAddress(raw: unknown): { host: string; port: number } {
  const text = oneValue('gdb', raw);
  const m = /^(?:(.*):)?(\d+)$/.exec(text);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || !Number.isInteger(port) || port > 65535)
    throw new UsageError(
      `--gdb: '${text}' is not [HOST:]PORT (try --gdb 1234, or --gdb 0 for any free port)`,
    );
  const host = m[1] === undefined || m[1] === '' ? DEFAULT_GDB_HOST : m[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

export function withGdbOptions<T>(y: Argv<T>) {
  return y
    .option('gdb', {
      type: 'string',
      requiresArg: true,
      describe: 'serve the GDB remote protocol on [HOST:]PORT (0: any free port; host 127.0.0.1 by default)',
      coerce: parseGdbAddress,
    })
    .option('gdb-wait', {
      type: 'boolean',
      default: false,
      describe: 'with --gdb: hold the guest before its first instruction until gdb continues it',
    })
    .check((a: Record<string, unknown>) => {
      if (a['gdb-wait'] === true && a.gdb === undefined)
        throw new UsageError('--gdb-wait needs --gdb [HOST:]PORT');
      return true;
    });
}

/** Where the stub listens, when --gdb was given. */
export function gdbListen(args: GdbArgs): GdbListen | null {
  return args.gdb === undefined ? null : { ...args.gdb, wait: args['gdb-wait'] };
}
