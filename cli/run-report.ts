/*
 * What `run` reports when a guest stops: one plain object that is both the --json output and the
 * source of the human summary, so the two can never disagree. Its key names are a contract that
 * lab tooling reads (README, "JSON output"): add keys, never rename them.
 *
 * Addresses are exact. `exit.pc` is a JSON number while a double holds it exactly (up to 2^53)
 * and otherwise a hex string ("0xfffffffffffff123"), made from the stop's full-width pc64; the
 * message names the pc in hex, exactly, either way.
 */
import type { GuestImage } from '../emulator/image.js';
import type { Machine } from '../emulator/machine.js';
import type { RunStats } from '../emulator/run-stats.js';
import type { SmpStats } from '../emulator/smp/smp-stats.js';
import { groupDigits } from './count-text.js';
import type { RunEnd } from './run-loop.js';

export interface RunReport extends Partial<RunStats & SmpStats> {
  guest: string;
  arch: string;
  console: string;
  exit: { reason: RunEnd['reason']; code: number; message?: string; pc?: number | string };
  instructions: number;
}

/** A pc for JSON: a number while exact, else the exact hex string. */
export function jsonAddress(approx: number, exact: bigint | undefined): number | string {
  if (exact === undefined || exact <= BigInt(Number.MAX_SAFE_INTEGER)) return approx;
  return `0x${exact.toString(16)}`;
}

export function runReport(image: GuestImage, machine: Machine, stop: RunEnd): RunReport {
  const exit: RunReport['exit'] = { reason: stop.reason, code: stop.code };
  if (stop.message) exit.message = stop.message;
  if (stop.pc !== undefined) exit.pc = jsonAddress(stop.pc, stop.pc64);
  return {
    guest: image.origin,
    arch: image.arch,
    console: machine.console,
    exit,
    instructions: machine.instructions,
    ...(machine.stats() ?? {}),
  };
}

const REASON_TEXT: Record<RunEnd['reason'], string> = {
  halt: 'halted',
  exit: 'exited',
  fault: 'faulted',
  limit: 'reached the instruction limit',
  timeout: 'timed out',
  interrupted: 'was interrupted',
};

const FORMAT_TEXT: Record<string, string> = { ept: 'Intel EPT', npt: 'AMD nPT', s2: 'arm64 stage-2' };

const n = groupDigits;

/** The nested-paging lines of the summary (also `monitor stats` in gdb). */
export function nestedLines(r: Partial<RunStats & SmpStats>): string[] {
  if (!r.faults || !r.tables || !r.holds || !r.pv || !r.adSets) return [];
  const f = r.faults;
  const t = r.tables;
  const row = (label: string, text: string) => `  ${label.padEnd(15)} ${text}`;
  return [
    row(
      'nested paging',
      `${FORMAT_TEXT[r.format ?? ''] ?? r.format}, dirty tracking ${r.dirtyTracking ? 'on' : 'off'}, generation ${r.generation}`,
    ),
    row(
      'nested faults',
      `${n(f.total)} (read ${n(f.read)}, write ${n(f.write)}, exec ${n(f.exec)}, mmio ${n(f.mmio)}); ${n(r.fills ?? 0)} TLB fills`,
    ),
    row('A/D sets', `${n(r.adSets.accessed)} accessed, ${n(r.adSets.dirty)} dirty`),
    row('memory', `${n(r.residentPages ?? 0)} pages resident, ${n(r.dirtyPages ?? 0)} dirty now`),
    ...hostLine(r),
    row(
      'page tables',
      `L4 ${t['4']}, L3 ${t['3']}, L2 ${t['2']}, L1 ${t['1']} (${n(r.tableSteals ?? 0)} stolen)`,
    ),
    row(
      'pv tracking',
      `${n(r.pv.conversions)} list conversions, ${n(r.pv.multiMapped)} frames mapped more than once`,
    ),
    row(
      'page holds',
      `${n(r.holds.taken)} taken, ${n(r.holds.released)} released, ${n(r.holds.outstanding)} outstanding`,
    ),
    ...reclaimLines(r),
    ...dirtyLogLines(r),
    ...cpuLines(r),
  ];
}

/* One row per vCPU and the per-CPU PV pools, with --cpus above 1 (--json has `cpus` then). */
function cpuLines(r: Partial<SmpStats>): string[] {
  if (!r.cpus) return [];
  const p = r.pvPool; // a shared host's pool is in its own report (cli/host-report.ts)
  return [
    ...r.cpus.map(
      (c) =>
        `  ${`vcpu ${c.id}`.padEnd(15)} ${n(c.insns)} instructions in ${n(c.turns)} turns, ${n(c.kicks)} kicks, ${c.state}, generation ${c.generation ?? '-'}`,
    ),
    ...(p === undefined
      ? []
      : [
          `  ${'pv pools'.padEnd(15)} quantum ${n(r.quantum ?? 0)}; ${n(p.cpuRefills)} per-CPU refills from the ring, ${n(p.spills)} spills, ${n(p.inUse)} entries in use`,
        ]),
  ];
}

/* The dirty log's row in ring mode (--json always has the key). */
function dirtyLogLines(r: Partial<RunStats>): string[] {
  const d = r.dirtyLog;
  if (!d || d.mode !== 'ring') return [];
  return [
    `  ${'dirty log'.padEnd(15)} ring: ${n(d.pmlFullExits)} PML-full exits, ${n(d.ringEntries)} ring entries`,
  ];
}

/* Reclaim's row, once something was evicted (--json always has the key). */
function reclaimLines(r: Partial<RunStats>): string[] {
  const c = r.reclaim;
  if (!c || c.evictions === 0) return [];
  const traffic = `${n(c.evictions)} evictions (${n(c.swapOuts)} swapped out, ${n(c.cleanDrops)} clean drops), ${n(c.swapIns)} swap-ins`;
  return [`  ${'reclaim'.padEnd(15)} ${c.policy}: ${traffic}`]; // frames in use: the host frames row
}

/* Host frames in use, and the layout that placed the guest's pages. */
function hostLine(r: Partial<RunStats>): string[] {
  const h = r.hostFrames;
  if (!h) return [];
  const layout = r.hostLayout === 'scattered' ? `scattered layout, seed ${r.seed}` : `${r.hostLayout} layout`;
  return [
    `  ${'host frames'.padEnd(15)} ${n(h.inUse)} of ${n(h.total)} in use (${n(h.guest)} guest pages, ${n(h.tables)} for page tables); ${layout}`,
  ];
}

export function summaryText(r: RunReport): string {
  const lines: string[] = [];
  const sep = r.console.length > 0 && !r.console.endsWith('\n') ? '\n' : '';
  lines.push(
    `${sep}nestvm: ${r.arch} guest ${REASON_TEXT[r.exit.reason]} after ${n(r.instructions)} instructions, exit status ${r.exit.code}`,
  );
  const abnormal = r.exit.reason !== 'halt' && r.exit.reason !== 'exit';
  if (abnormal && r.exit.message) lines.push(`nestvm: ${r.exit.message}`);
  lines.push(...nestedLines(r));
  return lines.join('\n') + '\n';
}
