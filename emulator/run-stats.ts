/*
 * What a run did to the nested paging layer, as numbers: the figures `nestvm run` prints at exit
 * and puts in --json (README, "JSON output"; the key names are a contract).
 *
 * Two sources, both deterministic:
 *   - counters kept by the layers themselves as they work: faults, fills and guest walks
 *     (NestedMmu), A/D sets (Gpt.adSets), PV list conversions (PvHeads.conversions), table steals
 *     (TablePool.stats), holds (Vmspace.counters), evictions and swap traffic (Reclaimer.counters). They are plain increments, so a run with no
 *     trace and no TUI attached builds no event objects at all (the event stream's cost rule);
 *   - a scan at the end reads the state left behind (resident and dirty pages, tables per level,
 *     frames with more than one mapping), straight from host RAM and the pmap, with no side effects,
 *     and the host frames in use (the reservoir's and the table pool's counts).
 */
import { gpa as toGpa, hfn as toHfn } from '../mmu/addr.js';
import type { NestedMmu } from './nested-mmu.js';
import type { HostFrames, NestedVm, ReclaimStats } from './nested-vm.js';

export interface RunStats {
  format: string;
  dirtyTracking: boolean;
  /** The dirty log's mode, its PML-full exits, and the entries logged (in the ring or still in a PML log; 0 and 0 for 'bitmap'). */
  dirtyLog: { mode: string; pmlFullExits: number; ringEntries: number };
  faults: { read: number; write: number; exec: number; mmio: number; total: number };
  fills: number;
  adSets: { accessed: number; dirty: number };
  residentPages: number;
  dirtyPages: number;
  /** Page-table pages per level, "4" = root ... "1" = leaf tables. */
  tables: Record<string, number>;
  tableSteals: number;
  pv: { conversions: number; multiMapped: number };
  holds: { taken: number; released: number; outstanding: number };
  generation: number;
  guestWalks: number;
  /** Overcommit: the policy, evictions, swap traffic, and host frames in use of all. */
  reclaim: ReclaimStats;
  /** Host frames in use now (guest pages that have one, and the table pool's) of all host RAM. */
  hostFrames: HostFrames;
  /** Which host frame each guest page got: 'scattered' (by `seed`) or 'identity'. */
  hostLayout: string;
  seed: number;
}

/**
 * Frames mapped by more than one leaf (on the whole host, which other VMs may share), and this
 * VM's table pages per level, from the pmap.
 */
function scanFrames(vm: NestedVm): { multiMapped: number; tables: Record<string, number> } {
  const tables: Record<string, number> = { '4': 0, '3': 0, '2': 0, '1': 0 };
  const own = vm.vmspace.gpt.ownerId;
  let multiMapped = 0;
  for (let f = 0; f < vm.mem.frameCount; f++) {
    const frame = toHfn(f);
    if (vm.pmap.isTable(frame)) {
      if (vm.pmap.descOwner(frame) === own) tables[String(vm.pmap.descLevel(frame))]++;
    } else if (vm.pmap.mappingCount(frame) > 1) multiMapped++;
  }
  return { multiMapped, tables };
}

/**
 * Pages of guest RAM whose nested leaf is present and dirty now. It reads the leaf slots that have
 * a leaf table (GptIter skips absent subtrees whole) and changes nothing.
 */
function dirtyPages(vm: NestedVm): number {
  const gpt = vm.vmspace.gpt;
  const { u32 } = vm.mem;
  const f = gpt.format;
  let n = 0;
  const it = gpt.iterate(toGpa(vm.opts.ramBase), vm.opts.memBytes);
  while (it.next()) {
    const w = it.pte >>> 2;
    if (f.isPresent(u32[w], u32[w + 1]) && f.isDirty(u32[w], u32[w + 1])) n++;
  }
  return n;
}

/* Pages the PML logs recorded: those that reached the ring, and those still waiting in a log. */
function ringEntries(vm: NestedVm): number {
  const log = vm.vmspace.ringLog;
  if (log === null) return 0;
  return vm.vmspace.clients().reduce((sum, c) => sum + (c.pml?.count ?? 0), log.ring.pushed);
}

/* Faults, fills and guest walks of every vCPU's fill path together (vCPU 0's, then `more`). */
function mmuCounts(mmu: NestedMmu, more: readonly NestedMmu[]) {
  const faults = { ...mmu.counters.faults };
  let { fills, guestWalks } = mmu.counters;
  for (const m of more) {
    for (const k of Object.keys(faults) as (keyof typeof faults)[]) faults[k] += m.counters.faults[k];
    fills += m.counters.fills;
    guestWalks += m.counters.guestWalks;
  }
  return { faults, fills, guestWalks };
}

/** The run's figures; `more`: the fill paths of the vCPUs after the first (--cpus N). */
export function collectStats(vm: NestedVm, mmu: NestedMmu, more: readonly NestedMmu[] = []): RunStats {
  const { faults, fills, guestWalks } = mmuCounts(mmu, more);
  const { multiMapped, tables } = scanFrames(vm);
  const holds = vm.vmspace.counters.holds;
  return {
    format: vm.format,
    dirtyTracking: vm.vmspace.dirtyTracking,
    dirtyLog: {
      mode: vm.vmspace.ringLog === null ? 'bitmap' : 'ring',
      pmlFullExits: vm.vmspace.counters.pmlFullExits,
      ringEntries: ringEntries(vm),
    },
    faults,
    fills,
    adSets: { ...vm.vmspace.gpt.adSets },
    residentPages: vm.vmspace.residentCount,
    dirtyPages: dirtyPages(vm),
    tables,
    tableSteals: vm.pool.stats.stolen,
    pv: { conversions: vm.pmap.heads.conversions, multiMapped },
    holds: { ...holds },
    generation: vm.vmspace.generation,
    guestWalks,
    reclaim: vm.reclaimStats(),
    hostFrames: vm.hostFrames(),
    hostLayout: vm.reservoir.layout,
    seed: vm.reservoir.seed,
  };
}
