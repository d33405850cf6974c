/*
 * What every fuzz case must satisfy, whatever its input. A case's outcome is a value; the oracle
 * turns it into a failure message or null.
 *
 *   CLI case      the status is documented (0, a guest's odd isa-debug-exit status, a semihosting
 *                 status, 2, 4, 6, 130), never 10 (internal) and never a thrown promise; a refusal
 *                 (status 2) is one line on stderr; stderr never holds a stack frame. (A guest
 *                 that ran ends with run's summary on stderr, which has several lines.)
 *   Machine case  the run ends with a StopReason of a documented kind, no hold is outstanding, and
 *                 no exception escapes.
 */
import type { StopReason } from '../emulator/stop-reason.js';

export interface CliOutcome {
  status: number;
  stderr: string;
}

const STOP_KINDS = new Set(['halt', 'exit', 'fault', 'limit', 'timeout']);
const NESTVM_STATUSES = new Set([0, 2, 4, 6]);

/** Why a CLI outcome breaks the rules, or null. `wantStatus` narrows the accepted statuses. */
export function checkCli(o: CliOutcome, wantStatus?: readonly number[]): string | null {
  if (o.status === 10) return `internal error (exit 10): ${firstLine(o.stderr)}`;
  if (wantStatus && !wantStatus.includes(o.status))
    return `exit ${o.status}, expected ${wantStatus.join(' or ')}: ${firstLine(o.stderr)}`;
  if (!NESTVM_STATUSES.has(o.status) && o.status % 2 === 0 && o.status !== 130)
    return `undocumented exit status ${o.status}`;
  const lines = o.stderr.split('\n').filter((l) => l.trim() !== '');
  if (o.status === 2 && lines.length > 1)
    return `stderr has ${lines.length} lines: ${lines.slice(0, 2).join(' | ')}`;
  if (/^\s+at .+\(.+:\d+:\d+\)$/m.test(o.stderr)) return `stack trace on stderr`;
  return null;
}

/** Why a Machine run breaks the rules, or null. */
export function checkStop(stop: StopReason | null, outstandingHolds: number): string | null {
  if (stop === null) return 'run returned no stop';
  if (!STOP_KINDS.has(stop.reason)) return `undocumented stop reason ${stop.reason}`;
  if (stop.message !== undefined && stop.message.includes('\n')) return 'stop message spans lines';
  if (outstandingHolds !== 0) return `${outstandingHolds} holds outstanding`;
  return null;
}

export const firstLine = (s: string): string => s.split('\n')[0].slice(0, 200);
