/*
 * How the Machine turns what ended a slice into a StopReason (stop-reason.ts).
 *
 * A StopCause is a StopReason before the pc is read: what devices and hooks record during a
 * slice, and what the checks between slices find. stopAt() reads the pc into it once, at full
 * width: `pc` is the number (exact below 2^53) and `pc64` is added only past that, and the
 * message names the pc exactly either way. describeFault() words a translation fault in one line;
 * an address past 2^53 can only be the engine's own address, which a number may round, so the
 * engine's address at full width is printed in its place.
 */
import { hex } from '../mmu/addr.js';
import { protString } from '../mmu/prot.js';
import { EXIT_FAULT, EXIT_LIMIT, type StopReason } from './stop-reason.js';
import type { DebugPause } from './debug/debug-pause.js';
import type { TranslationFault } from './translator.js';
import { UC_ERR_INSN_INVALID } from './unicorn/constants.js';
import type { Unicorn } from './unicorn/unicorn.js';

/** A StopReason before the pc is read. */
export type StopCause = Omit<StopReason, 'pc' | 'pc64'>;

/** A fault the fill hook recorded: the pc and the engine's address, both at full width. */
export interface RecordedFault {
  readonly fault: TranslationFault;
  readonly pc: bigint;
  readonly va: bigint;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** One line for a translation fault: nested kinds name the guest-physical page, 'guest' the GVA. */
export function describeFault(f: TranslationFault, va?: bigint): string {
  const at = (n: number) => (Number.isSafeInteger(n) || va === undefined ? hex(n) : `0x${va.toString(16)}`);
  switch (f.kind) {
    case 'nomap':
      return `nested page fault: guest touched unmapped guest-physical ${at(f.gpa)} (${f.access})`;
    case 'rights':
      return `nested page fault: guest-physical ${at(f.gpa)} does not allow ${f.access} (mapped ${protString(f.prot)})`;
    case 'watch':
      return `watched guest-physical ${at(f.gpa)} (${f.access}${f.table ? ', by the guest table walk' : ''})`;
    case 'exhausted':
      return `host memory exhausted: no frame for a nested page table at guest-physical ${at(f.gpa)} (${f.access}) that the current instruction does not already need; give --host-mem more room`;
    case 'storm':
      return `nested fault storm: ${f.faults} nested faults retired no instruction (the last at guest-physical ${at(f.gpa)}, ${f.access}); give --host-mem more room`;
    case 'guest': {
      const code = f.arch === 'x86_64' ? `error code ${hex(f.code)}` : `fault status ${hex(f.code)}`;
      return `guest page fault: ${f.reason} at guest-virtual ${at(f.gva)} (${f.access}), level ${f.level} of the guest's tables, ${code}`;
    }
  }
}

export const faultCause = (r: RecordedFault): StopCause => ({
  reason: 'fault',
  code: EXIT_FAULT,
  message: describeFault(r.fault, r.va),
});

/** An engine error with no recorded fault behind it. */
export function engineCause(err: number, strerror: (err: number) => string): StopCause {
  const message =
    err === UC_ERR_INSN_INVALID
      ? 'guest executed an invalid instruction'
      : `engine stopped: ${strerror(err)}`;
  return { reason: 'fault', code: EXIT_FAULT, message };
}

/** The limits checked between slices: the instruction limit first, then the run-time limit. */
export interface RunLimits {
  readonly maxInsns: number | undefined;
  readonly timeoutMs: number | undefined;
}

export function limitCause(limits: RunLimits, executed: number, runMs: number): StopCause | null {
  const { maxInsns, timeoutMs } = limits;
  if (maxInsns !== undefined && executed >= maxInsns) {
    return { reason: 'limit', code: EXIT_LIMIT, message: `instruction limit of ${maxInsns} reached` };
  }
  if (timeoutMs !== undefined && runMs >= timeoutMs) {
    return { reason: 'timeout', code: EXIT_LIMIT, message: `time limit of ${timeoutMs} ms reached` };
  }
  return null;
}

/** The StopReason of `cause` with the pc read at full width. */
export function stopAt(cause: StopCause, pc64: bigint): StopReason {
  const message = cause.message === undefined ? undefined : `${cause.message} at pc 0x${pc64.toString(16)}`;
  return {
    ...cause,
    ...(message === undefined ? {} : { message }),
    pc: Number(pc64),
    ...(pc64 > MAX_SAFE ? { pc64 } : {}),
  };
}

/**
 * What ended one slice, as the hooks record it while the engine runs: the first stop a device
 * or exception hook requested (and whether it came from the middle of an instruction), and the
 * first translation fault the fill hook refused. begin() clears it before every slice; the run
 * loop reads it after the engine returns.
 */
export class SliceEnd {
  requested: StopCause | null = null;
  fault: RecordedFault | null = null;
  /* A debugger's trap (a breakpoint hook) paused the slice: the guest goes on afterwards. */
  paused: DebugPause | null = null;
  /* The stop came from a device called in the middle of an instruction (port or MMIO access). */
  stoppedInside = false;
  /*
   * A kick (a PTE lost rights) came from the middle of an instruction, from a device it called
   * (the engine counts the next instruction before it stops, as for stoppedInside): the count is
   * one high. A change made inside the running vCPU's own data fill (its fault broke a share or
   * stole a table) on a Machine of several vCPUs does not stop the engine: the Machine flushes that vCPU's TLB in place, as a
   * handler flushes before it retries, so the access is made once. (Stopping there let the store
   * land and then began the instruction again: an stxr or lock cmpxchg then saw its own store and
   * spun for ever, as two SMP guests under --merge showed. One vCPU keeps the stop, whose count
   * is exact; the in-place flush is measured to count a few instructions more over a run.) Such
   * a slice is not a kicked one: when it ends early, the vCPU stopped by itself (hlt, wfi) and
   * halts for good, however many in-place flushes it made.
   */
  cutShort = false;
  /* Under the block counter, a kick from a data fill refused that fill: the instruction begins again. */
  retried = false;
  private inInstruction = false;

  begin(): void {
    this.requested = null;
    this.fault = null;
    this.paused = null;
    this.stoppedInside = false;
    this.cutShort = false;
    this.retried = false;
  }

  /** Record a requested stop (the first one of the slice wins). */
  request(stop: StopCause): void {
    if (this.requested !== null) return;
    this.requested = stop;
    this.stoppedInside = this.inInstruction;
  }

  /**
   * The vCPU was kicked; `inDataFill`: from inside the fill of a load or store. Stops `uc` as its
   * counter needs, and says whether the fill in flight must be refused: under the block counter a
   * kicked load or store begins again (the engine then stops at its own pc, as Unicorn's count
   * stops right after its access, and it is not counted: `retried`).
   */
  kicked(inDataFill: boolean, uc: Unicorn): boolean {
    if (inDataFill || this.inInstruction) this.cutShort = true;
    if (inDataFill && uc.counter === 'block') return (this.retried = true);
    if (this.cutShort) uc.emuStopAfterInstruction();
    else uc.emuStop();
    return false;
  }

  /** Stop `uc` for the stop just requested: after the instruction in flight when inside one. */
  stopEngine(uc: Unicorn): void {
    if (this.stoppedInside) uc.emuStopAfterInstruction();
    else uc.emuStop();
  }

  /** Run a device access made from the middle of an instruction (see instructionsLastRun). */
  inside<T>(fn: () => T): T {
    this.inInstruction = true;
    try {
      return fn();
    } finally {
      this.inInstruction = false;
    }
  }
}
