/*
 * The SMP figures of a run (`run`'s summary and --json, only with --cpus above 1, so a run of one
 * vCPU reports exactly what it did before):
 *
 *   cpus    one row per vCPU: id, power state, instructions begun, kicks, turns, the generation its
 *           client last recorded, and the entries on its per-CPU PV free list now
 *   pvPool  the PV entry pool: refills of a per-CPU list from the global ring, spills back to it,
 *           whole batches on the ring now, and entries in use
 */
import type { NestedVm } from '../nested-vm.js';
import type { VcpuReport, VcpuSet } from '../vcpu-set.js';

export interface SmpStats {
  quantum: number;
  cpus: VcpuReport[];
  pvPool: { cpuRefills: number; spills: number; ringBatches: number; inUse: number };
}

export function smpStats(set: VcpuSet, vm: NestedVm): Partial<SmpStats> {
  if (set.count === 1) return {};
  const pool = vm.pmap.pvStats;
  return {
    quantum: set.quantum,
    cpus: set.report(pool.cpuFree),
    pvPool: {
      cpuRefills: pool.cpuRefills,
      spills: pool.spills,
      ringBatches: pool.ringBatches,
      inUse: pool.inUse,
    },
  };
}
