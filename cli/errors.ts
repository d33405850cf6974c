/*
 * The one error handler: every failure that reaches the CLI becomes one line on stderr and a
 * documented exit status (cli/exit-codes.ts). The stack trace is shown only with --verbose.
 *
 * Layers below the CLI throw typed errors (BadGuestError from loaders, UnicornError /
 * UnicornMissingError from the binding, InvariantError from mmu/); the CLI's own validation throws
 * UsageError. Anything else is a bug and is reported as one.
 */
import type { Output } from './context.js';
import { EXIT } from './exit-codes.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Raised by the CLI when the environment cannot run the command (e.g. no TTY). */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

const BY_NAME: Record<string, number> = {
  UsageError: EXIT.usage,
  BadGuestError: EXIT.usage,
  AsmError: EXIT.usage,
  EnvironmentError: EXIT.environment,
  UnicornMissingError: EXIT.environment,
  UnicornVersionError: EXIT.environment,
  UnicornLoadError: EXIT.environment,
  HostMemoryError: EXIT.usage,
  SnapshotError: EXIT.usage,
  SnapshotFileError: EXIT.usage,
  GuestStateError: EXIT.usage,
};

export function exitCodeFor(err: unknown): number {
  if (err instanceof Error && err.name in BY_NAME) return BY_NAME[err.name];
  return EXIT.internal;
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const firstLine = err.message.split('\n')[0];
  if (exitCodeFor(err) === EXIT.internal)
    return `internal error: ${firstLine} (rerun with --verbose for details)`;
  return firstLine;
}

/** Prints the error the house way and returns the exit status for it. */
export function reportError(err: unknown, verbose: boolean, stderr: Output = process.stderr): number {
  stderr.write(`nestvm: ${describeError(err)}\n`);
  if (verbose && err instanceof Error && err.stack) stderr.write(err.stack + '\n');
  return exitCodeFor(err);
}
