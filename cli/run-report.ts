/*
 * What `run` reports when a guest stops: one plain object that is both the --json output and the
 * source of the human summary, so the two can never disagree. Its key names are a contract that
 * lab tooling reads (README, "JSON output"): add keys, never rename them.
 */
import type { GuestImage } from '../emulator/image.js';
import type { Machine, StopReason } from '../emulator/machine.js';

export interface RunReport {
  guest: string;
  arch: string;
  console: string;
  exit: { reason: StopReason['reason']; code: number; message?: string; pc?: number };
  instructions: number;
}

export function runReport(image: GuestImage, machine: Machine, stop: StopReason): RunReport {
  const exit: RunReport['exit'] = { reason: stop.reason, code: stop.code };
  if (stop.message) exit.message = stop.message;
  if (stop.pc !== undefined) exit.pc = stop.pc;
  return {
    guest: image.origin,
    arch: image.arch,
    console: machine.console,
    exit,
    instructions: machine.instructions,
  };
}

const REASON_TEXT: Record<StopReason['reason'], string> = {
  halt: 'halted',
  exit: 'exited',
  fault: 'faulted',
  limit: 'reached the instruction limit',
  timeout: 'timed out',
};

export function summaryText(r: RunReport): string {
  const lines: string[] = [];
  const sep = r.console.length > 0 && !r.console.endsWith('\n') ? '\n' : '';
  lines.push(
    `${sep}nestvm: ${r.arch} guest ${REASON_TEXT[r.exit.reason]} after ${r.instructions.toLocaleString('en-US')} instructions, exit status ${r.exit.code}`,
  );
  const abnormal = r.exit.reason === 'fault' || r.exit.reason === 'limit' || r.exit.reason === 'timeout';
  if (abnormal && r.exit.message) lines.push(`nestvm: ${r.exit.message}`);
  return lines.join('\n') + '\n';
}
