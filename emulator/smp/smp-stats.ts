/*
 * The SMP figures of a run (`run`'s summary and --json, only with --cpus above 1, so a run of one
 * vCPU reports exactly what it did before):
 *
 *   cpus    one row per vCPU: id, power state, instructions begun, kicks, turns, the generation its
 *           client last recorded, and the entries on its per-CPU PV free list now
 *   pvPool  the PV entry pool: refills of a per-CPU list from the global ring, spills back to it,
 *           whole batches on the ring now, entries in use, and entries taken and returned since
 *           the start (inUse = taken - returned). On a shared host the pool is the host's: each
 *           VM's rows show its own vCPUs' lists (from its pvCpuBase), the pool figures all of them.
 */
import type { PvPoolStats } from '../../mmu/host/pv-pool.js';
import type { NestedVm } from '../nested-vm.js';
import type { VcpuReport, VcpuSet } from '../vcpu-set.js';

export interface SmpStats {
  quantum: number;
  cpus: VcpuReport[];
  pvPool: PvPoolFigures;
}

/** The PV pool's figures: on a shared host they are the host's (every VM's vCPUs together). */
export interface PvPoolFigures {
  cpuRefills: number;
  spills: number;
  ringBatches: number;
  inUse: number;
  /** Entries taken and given back since the start: inUse = taken - returned. */
  taken: number;
  returned: number;
}

export function pvPoolFigures(pool: PvPoolStats): PvPoolFigures {
  const { cpuRefills, spills, ringBatches, inUse, taken, returned } = pool;
  return { cpuRefills, spills, ringBatches, inUse, taken, returned };
}

export function smpStats(set: VcpuSet, vm: NestedVm): Partial<SmpStats> {
  if (set.count === 1) return {};
  const pool = vm.pmap.pvStats;
  return {
    quantum: set.quantum,
    cpus: set.report(pool.cpuFree.slice(vm.pvCpuBase, vm.pvCpuBase + set.count)),
    pvPool: pvPoolFigures(pool),
  };
}
