/*
 * PSCI's power calls over a Machine's vCPUs (arm64, --cpus N > 1), as QEMU's `virt` board answers
 * them: the calls are decoded in devices/psci.ts; this is what they do to the VcpuSet.
 *
 *   MPIDR of vCPU i   Aff0 = i, Aff1..Aff3 = 0 (bits 7:0; bits 39:32 and 23:8 zero; bit 31, RES1
 *                     in MPIDR_EL1, is ignored in a target, as U and MT are)
 *   CPU_ON            the target must be off: it gets pc = entry, x0 = context id, and runs from
 *                     the next round on (its other registers keep what they held)
 *   CPU_OFF           the calling vCPU leaves the engine at once (uc_emu_stop) and is off
 *   AFFINITY_INFO     ON (0) for on or halted, OFF (1) for off
 *
 * Nothing here runs between slices: every call comes from inside the caller's own slice, and the
 * target's engine is not running then (one vCPU runs at a time), so its registers can be written.
 */
import {
  PSCI_ALREADY_ON,
  PSCI_INVALID_ADDRESS,
  PSCI_INVALID_PARAMETERS,
  PSCI_SUCCESS,
  type PsciCpus,
} from '../devices/psci.js';
import type { Core, VcpuSet } from '../vcpu-set.js';

/* Aff3 (bits 39:32) and Aff2..Aff0 (bits 23:0); bit 31 (RES1), 30 (U), 24 (MT) are not affinity. */
const AFF_LOW = 0x00ff_ffff;
const AFF3_SHIFT = 2 ** 32;

/** The vCPU an MPIDR names, or null (Aff1..Aff3 must be zero, Aff0 below the vCPU count). */
export function coreOfMpidr(mpidr: number, count: number): number | null {
  const high = Math.floor(mpidr / AFF3_SHIFT) & 0xff;
  const low = mpidr & AFF_LOW;
  if (high !== 0 || low >= count) return null;
  return low;
}

export interface GuestRam {
  readonly base: number;
  readonly bytes: number;
}

export function psciPower(set: VcpuSet, ram: GuestRam): PsciCpus {
  const target = (mpidr: number): Core | null => {
    const i = coreOfMpidr(mpidr, set.count);
    return i === null ? null : set.cores[i];
  };
  return {
    on(mpidr, entry, context) {
      const core = target(mpidr);
      if (core === null) return PSCI_INVALID_PARAMETERS;
      if (core.power !== 'off') return PSCI_ALREADY_ON;
      if (entry < ram.base || entry >= ram.base + ram.bytes || entry % 4 !== 0) return PSCI_INVALID_ADDRESS;
      core.uc.regWrite('pc', entry);
      core.uc.regWrite('x0', context);
      core.power = 'on';
      return PSCI_SUCCESS;
    },
    off() {
      set.current.power = 'off';
      set.current.uc.emuStop();
    },
    affinity(mpidr) {
      const core = target(mpidr);
      if (core === null) return PSCI_INVALID_PARAMETERS;
      return core.power === 'off' ? 1 : 0;
    },
  };
}
