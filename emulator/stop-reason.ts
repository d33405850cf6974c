/*
 * Why a Machine stopped, as a value (guest-caused outcomes are values, not exceptions).
 *
 *   reason    code (the process exit status the CLI uses)
 *   halt      0                      x86 `hlt`
 *   exit      0                      PSCI SYSTEM_OFF (and SYSTEM_RESET, which nestvm does not perform)
 *             ((v << 1) | 1) & 0xff  x86 isa-debug-exit: byte v written to port 0xF4, as QEMU's
 *                                    process status (exit() keeps the low 8 bits)
 *             status                 semihosting SYS_EXIT / SYS_EXIT_EXTENDED
 *   fault     4                      the guest did something the machine cannot continue from
 *   limit     6                      the instruction limit (maxInsns) was reached exactly
 *   timeout   6                      the guest ran for timeoutMs of wall-clock time
 *
 * `pc` is the vCPU's program counter at the stop: the faulting instruction for a fault, the
 * calling instruction for hvc and semihosting, the next instruction after x86 `hlt` and `out`.
 * It is a number, exact below 2^53; past that, where the number rounds, `pc64` is there too: the
 * same counter at full width, read once at the stop, so reports print any 64-bit pc exactly.
 * `message` is one line, for people, and names addresses exactly.
 */
export type StopKind = 'halt' | 'exit' | 'fault' | 'limit' | 'timeout';

export interface StopReason {
  readonly reason: StopKind;
  readonly code: number;
  readonly message?: string;
  readonly pc: number;
  readonly pc64?: bigint;
}

export const EXIT_OK = 0;
export const EXIT_FAULT = 4;
export const EXIT_LIMIT = 6;

/** isa-debug-exit's host status for a written value (QEMU: exit((v << 1) | 1)). */
export const debugExitStatus = (v: number): number => ((v * 2) | 1) & 0xff;
