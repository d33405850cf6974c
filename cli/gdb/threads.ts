/*
 * gdb's threads are the Machine's vCPUs, as QEMU's gdbstub presents a machine's CPUs: thread N
 * is vCPU N - 1 (`--cpus N`, emulator/vcpu-set.ts), with its own engine, registers and page
 * tables (emulator/debug/vcpu-debug.ts). Every vCPU is listed from power-on, also while it is
 * off, so `info threads` always shows N threads.
 *
 *   thread ids         hex in packets, 1..N; 0 means "any thread", -1 "all threads"
 *   qfThreadInfo       m01,02,...,NN (all in one reply); qsThreadInfo: l (the end of the list)
 *   qC                 QC + the current thread: the one the last stop named, or what Hg chose
 *   T id               OK for 1..N (an off vCPU exists too), E22 for any other id
 *   qThreadExtraInfo   hex of "CPU#i [running]", "CPU#i [halted]" (hlt, wfi: it never runs
 *                      again) or "CPU#i [powered off]" (not started yet, or PSCI CPU_OFF); i is
 *                      nestvm's vCPU number, 0-based as in `vcpu0`, `--json` cpus and QEMU's
 *   Hg id              the thread whose registers g, G, p, P read and write and through whose
 *                      tables m, M, X reach guest-virtual memory
 *   Hc id              the thread a plain s steps
 *
 * 0 and -1 keep the selection as it is; an id that is not a thread, or text that is not an id,
 * is E22, never a crash. A stop selects the thread it names for both (gdb switches to it too).
 *
 * Resuming, all-stop (any stop stops every vCPU: they run one at a time anyway):
 *
 *   s, S, or vCont with a step action for one thread   that vCPU runs ONE instruction alone;
 *                      the others stay where they are, whatever the packet asks of them (gdb's
 *                      `stepi` sends vCont;s:N;c). Stepping a vCPU that is off or halted runs
 *                      nothing and reports the step done at once (its pc does not move).
 *   c, C, vCont;c      every vCPU runs, by the round-robin, until something stops one of them
 *   vCont;c:N alone    (gdb's scheduler-locking on) vCPU N - 1 runs alone until it stops
 *
 * A vCPU run alone takes the rest of its turn when the round-robin owes it one, else it runs out
 * of turn without moving the round-robin (VcpuSet.pick), so a debugging session is as
 * deterministic as a run: the same guest and the same packets give the same stops.
 */
import type { Machine } from '../../emulator/machine.js';

export const E_THREAD = 'E22';

/** What a resume packet asks: one vCPU stepped, one run alone (`alone`), or all (thread null). */
export interface Resume {
  readonly step: boolean;
  /** The vCPU (0-based) that runs alone, or null: every vCPU by the round-robin. */
  readonly thread: number | null;
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** The `thread:NN;` of a stop reply for vCPU `cpu` (0-based). */
export const threadTag = (cpu: number): string => `thread:${hex2(cpu + 1)};`;

/** The vCPU a stop reply names (0-based), or null when it names none (W). */
export function stopThread(reply: string): number | null {
  const m = /thread:([0-9a-f]+);/.exec(reply);
  return m === null ? null : parseInt(m[1], 16) - 1;
}

/* A thread id as gdb writes it: -1, or 1 to 8 hex digits; null for anything else. */
function threadId(text: string): number | null {
  if (text === '-1') return -1;
  return /^[0-9a-fA-F]{1,8}$/.test(text) ? parseInt(text, 16) : null;
}

export class GdbThreads {
  /** The vCPU (0-based) registers and memory go through (Hg). */
  general = 0;
  /** The vCPU a plain s steps (Hc). */
  private stepping = 0;

  constructor(private readonly machine: Machine) {}

  private get count(): number {
    return this.machine.cpus.count;
  }

  /** A stop named vCPU `cpu`: gdb's current thread now. */
  stoppedAt(cpu: number): void {
    if (cpu < 0 || cpu >= this.count) return;
    this.general = cpu;
    this.stepping = cpu;
  }

  /* The vCPU (0-based) a thread id names, 'any' (0), 'all' (-1), or null when it is no thread. */
  private vcpu(text: string): number | 'any' | 'all' | null {
    const id = threadId(text);
    if (id === null) return null;
    if (id === 0) return 'any';
    if (id === -1) return 'all';
    return id <= this.count ? id - 1 : null;
  }

  /** Hg / Hc (the text after the H). */
  select(text: string): string {
    const which = text[0];
    const v = this.vcpu(text.slice(1));
    if ((which !== 'g' && which !== 'c') || v === null) return E_THREAD;
    if (typeof v === 'number') {
      if (which === 'g') this.general = v;
      else this.stepping = v;
    }
    return 'OK';
  }

  /** T id: is that thread alive? */
  alive(text: string): string {
    const v = this.vcpu(text);
    return typeof v === 'number' ? 'OK' : E_THREAD;
  }

  /** qfThreadInfo: every thread at once. */
  list(): string {
    return 'm' + Array.from({ length: this.count }, (_, i) => hex2(i + 1)).join(',');
  }

  current(): string {
    return `QC${hex2(this.general + 1)}`;
  }

  /** qThreadExtraInfo,id: the vCPU and its power state, as hex text; E22 for no thread. */
  extraInfo(text: string): string {
    const v = this.vcpu(text);
    if (typeof v !== 'number') return E_THREAD;
    const power = this.machine.cpus.cores[v].power;
    const state = power === 'on' ? 'running' : power === 'halted' ? 'halted' : 'powered off';
    return Buffer.from(`CPU#${v} [${state}]`, 'latin1').toString('hex');
  }

  /** A plain s or c (S, C: the signal is ignored). */
  plain(step: boolean): Resume {
    return { step, thread: step ? this.stepping : null };
  }

  /** vCont;ACTION[:TID];... (the text after `vCont;`): the resume, or an error reply. */
  vCont(text: string): Resume | string {
    let step: number | null = null;
    let all: 'c' | 's' | null = null;
    const alone: number[] = [];
    for (const part of text.split(';')) {
      const m = /^([cCsS])([0-9a-fA-F]{2})?(?::(.*))?$/.exec(part);
      const signalled = m !== null && (m[1] === 'C' || m[1] === 'S');
      if (m === null || signalled !== (m[2] !== undefined)) return 'E01';
      const action = m[1].toLowerCase() as 'c' | 's';
      const t = m[3] === undefined ? 'all' : this.vcpu(m[3]);
      if (t === null) return E_THREAD;
      const cpu = t === 'any' ? (action === 's' ? this.stepping : this.general) : t;
      if (cpu === 'all') all ??= action;
      else if (action === 's') step ??= cpu;
      else alone.push(cpu);
    }
    if (step !== null) return { step: true, thread: step };
    if (all === 's') return { step: true, thread: this.stepping };
    return { step: false, thread: all === null && alone.length === 1 ? alone[0] : null };
  }
}
