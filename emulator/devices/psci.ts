/*
 * PSCI (Arm Power State Coordination Interface) over `hvc #0`, as QEMU's `virt` board offers it.
 * The function id is in w0; a call that returns puts its result in x0.
 *
 *   0x8400_0000  PSCI_VERSION     -> 0x0001_0000 (PSCI 1.0)
 *   0x8400_0008  SYSTEM_OFF       stops the machine: reason 'exit', status 0
 *   0x8400_0009  SYSTEM_RESET     stops the machine: reason 'exit', status 0 (nestvm does not reboot)
 *   0x8400_000A  PSCI_FEATURES    -> 0 for the ids this machine answers, NOT_SUPPORTED otherwise
 *   anything else                 -> NOT_SUPPORTED (-1), as a firmware without that call
 *
 * A machine with several vCPUs (--cpus N > 1) answers the power calls of its CPUs too, through
 * the PsciCpus it passes in (emulator/smp/power.ts keeps the power state of each vCPU):
 *
 *   0xC400_0003  CPU_ON (64-bit)   x1 target MPIDR, x2 entry point, x3 context id
 *                                  -> SUCCESS 0, INVALID_PARAMETERS -2 (no such CPU),
 *                                     ALREADY_ON -4, INVALID_ADDRESS -9 (entry outside RAM)
 *   0x8400_0002  CPU_OFF           the calling CPU powers off; it does not return
 *   0xC400_0004  AFFINITY_INFO     x1 target MPIDR, x2 lowest affinity level (0 only)
 *                                  -> ON 0, OFF 1, INVALID_PARAMETERS -2
 *
 * (the 32-bit ids 0x8400_0003 and 0x8400_0004 are the same calls). A machine of one vCPU passes
 * no PsciCpus, and these calls answer NOT_SUPPORTED, as before SMP existed.
 *
 * Unicorn delivers `hvc` as an UNDEFINED exception (DESIGN §1); the arm64 vCPU recognises the
 * instruction and calls psciCall, then steps over the hvc when the call returns.
 */
import type { DeviceHost } from './device.js';

export const PSCI_VERSION = 0x8400_0000;
export const PSCI_SYSTEM_OFF = 0x8400_0008;
export const PSCI_SYSTEM_RESET = 0x8400_0009;
export const PSCI_FEATURES = 0x8400_000a;
export const PSCI_CPU_OFF = 0x8400_0002;
export const PSCI_CPU_ON = 0xc400_0003;
export const PSCI_AFFINITY_INFO = 0xc400_0004;
export const PSCI_NOT_SUPPORTED = -1;
export const PSCI_SUCCESS = 0;
export const PSCI_INVALID_PARAMETERS = -2;
export const PSCI_ALREADY_ON = -4;
export const PSCI_INVALID_ADDRESS = -9;
/* The 32-bit calling convention's ids of CPU_ON and AFFINITY_INFO (bit 30 clear). */
const SMC32 = 0x4000_0000;
const VERSION_1_0 = 0x0001_0000;

export type CallOutcome = { readonly kind: 'return'; readonly x0: number } | { readonly kind: 'stopped' };

/** The power calls of a machine with several vCPUs (emulator/smp/power.ts implements them). */
export interface PsciCpus {
  /** CPU_ON: a PSCI return code. */
  on(mpidr: number, entry: number, context: bigint): number;
  /** CPU_OFF of the calling CPU: it leaves the engine and runs no more until a CPU_ON. */
  off(): void;
  /** AFFINITY_INFO at level 0: 0 on, 1 off, or a PSCI error code. */
  affinity(mpidr: number): number;
}

/** The arguments after x1 of the calls that take them, and the CPUs they act on. */
export interface PsciSmp {
  readonly x2: number;
  readonly x3: bigint;
  readonly cpus: PsciCpus;
}

const SMP_IDS = [PSCI_CPU_ON, PSCI_CPU_OFF, PSCI_AFFINITY_INFO];

/* The power calls, when the machine has several vCPUs; null for every other id. */
function smpCall(fn: number, arg1: number, smp: PsciSmp): CallOutcome | null {
  const id = fn === PSCI_CPU_OFF ? fn : (fn | SMC32) >>> 0;
  if (id === PSCI_CPU_ON) return { kind: 'return', x0: smp.cpus.on(arg1, smp.x2, smp.x3) };
  if (id === PSCI_AFFINITY_INFO)
    return { kind: 'return', x0: smp.x2 === 0 ? smp.cpus.affinity(arg1) : PSCI_INVALID_PARAMETERS };
  if (id === PSCI_CPU_OFF) {
    smp.cpus.off();
    return { kind: 'stopped' };
  }
  return null;
}

export function psciCall(fn: number, arg1: number, host: DeviceHost, smp?: PsciSmp): CallOutcome {
  const power = smp === undefined ? null : smpCall(fn >>> 0, arg1, smp);
  if (power !== null) return power;
  switch (fn >>> 0) {
    case PSCI_VERSION:
      return { kind: 'return', x0: VERSION_1_0 };
    case PSCI_SYSTEM_OFF:
      host.stop({ reason: 'exit', code: 0, message: 'guest called PSCI SYSTEM_OFF' });
      return { kind: 'stopped' };
    case PSCI_SYSTEM_RESET:
      host.stop({
        reason: 'exit',
        code: 0,
        message: 'guest called PSCI SYSTEM_RESET (nestvm stops instead of rebooting)',
      });
      return { kind: 'stopped' };
    case PSCI_FEATURES: {
      const ids = [PSCI_VERSION, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_FEATURES, ...(smp ? SMP_IDS : [])];
      const known = ids.includes(arg1 >>> 0);
      return { kind: 'return', x0: known ? 0 : PSCI_NOT_SUPPORTED };
    }
    default:
      return { kind: 'return', x0: PSCI_NOT_SUPPORTED };
  }
}
