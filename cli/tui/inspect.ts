/*
 * Side-effect-free readers that turn live MMU objects into the TUI's plain data, for the adapter:
 *
 *   clientInfo(client)          VmClient -> ClientInfo (state, holds, chains, deferred dirtying)
 *   frameInfo(pmap, hfn)        a host frame's PV head kind, every PTE location mapping it, attributes
 *   poolInfo(pv, tables, ...)   the PV entry pool and page-table-page pool counters
 *   reclaimInfo(vm)             the replacement policy, its hand, the last victims, the counts
 *   markSwapped(swapped, out)   page-grid states of RAM pages whose content is in the swap store
 *
 * Each only calls getters and read-only walks of the objects it is given (holds(), headKind(),
 * mappings(), attributes(), stats); none allocates inside the MMU or changes any state, so the TUI
 * may call them ten times a second while the guest runs.
 *
 * Chains: holds linked through PageHold.next are released together. Each chain of a client gets a
 * number, 1, 2, ... in the order its first hold appears in holds(); a hold in no chain has none.
 */
import type { NestedVm } from '../../emulator/nested-vm.js';
import type { Gpa, Hfn } from '../../mmu/addr.js';
import { ATTR_MODIFIED, ATTR_REFERENCED, ATTR_WRITTEN } from '../../mmu/host/page-attributes.js';
import type { Pmap } from '../../mmu/host/pmap.js';
import { whoMaps } from '../../mmu/vm/frame-mappers.js';
import type { NestedHost } from '../../emulator/nested-host.js';
import type { PvPoolStats } from '../../mmu/host/pv-pool.js';
import type { TablePoolStats } from '../../mmu/host/table-pool.js';
import type { PageHold } from '../../mmu/vm/page-hold.js';
import type { VmClient } from '../../mmu/vm/vm-client.js';
import type { ClientInfo, FrameInfo, HoldInfo, PoolInfo, ReclaimInfo } from './model.js';
import { PAGE_NOT_PRESENT, PAGE_SWAPPED } from './model.js';

/** Chain number of every hold that belongs to a chain. */
function chainNumbers(holds: readonly PageHold[]): Map<PageHold, number> {
  const linked = new Set<PageHold>();
  for (const h of holds) if (h.next) linked.add(h.next);
  const chains = new Map<PageHold, number>();
  let n = 0;
  for (const h of holds) {
    if (linked.has(h) || !h.next) continue; // not the head of a chain
    n++;
    for (let p: PageHold | null = h; p && !chains.has(p); p = p.next) chains.set(p, n);
  }
  return chains;
}

export function clientInfo(c: VmClient): ClientInfo {
  const holds = c.holds();
  const chains = chainNumbers(holds);
  return {
    id: c.id,
    name: c.name,
    state: c.state,
    holds: holds.map((h): HoldInfo => ({
      gpa: h.gpa,
      prot: h.prot,
      deferredDirty: h.isDeferred,
      chain: chains.get(h),
      hfn: h.hfn,
    })),
  };
}

export function frameInfo(pmap: Pmap, f: Hfn, host?: NestedHost): FrameInfo {
  const bits = pmap.attributes(f);
  const attrs: string[] = [];
  if (bits & ATTR_REFERENCED) attrs.push('referenced');
  if (bits & ATTR_MODIFIED) attrs.push('modified');
  if (bits & ATTR_WRITTEN) attrs.push('written');
  const info = { hfn: f, headKind: pmap.headKind(f), ptes: pmap.mappings(f), attrs };
  if (host === undefined || pmap.headKind(f) === 'table') return info;
  // who maps it, from its PV list, each PTE with its VM; and, when merged, who uses it
  const mappers = whoMaps(pmap, host.vms, f).map(({ vm, gpa, prot }) => ({ vm, gpa, prot }));
  if (!host.shares.isShared(f)) return { ...info, mappers };
  return { ...info, mappers, sharedBy: host.shares.usersOf(f).map((u) => u.owner.vm) };
}

export function poolInfo(
  pv: PvPoolStats,
  tables: TablePoolStats,
  frames?: { readonly free: number; readonly total: number },
): PoolInfo {
  return {
    pvFree: pv.free,
    pvReserve: pv.reserve,
    pvLowWater: pv.lowWater,
    tablesInUse: tables.inUse,
    tablesCached: tables.cached,
    tablesReserve: tables.reserve,
    stolen: tables.stolen,
    hostFramesFree: frames?.free,
    hostFramesTotal: frames?.total,
  };
}

export function reclaimInfo(vm: NestedVm): ReclaimInfo {
  const r = vm.reclaimer;
  const c = vm.reclaimStats();
  const hand = r.policy.hand;
  return {
    overcommitted: vm.overcommitted,
    policy: c.policy,
    hand: hand === -1 ? null : { hfn: hand, gpa: r.state.describe(hand).gpa },
    victims: r.recentVictims().map((v) => ({ hfn: v.hfn as Hfn, gpa: v.gpa as Gpa | -1, dirty: v.dirty })),
    evictions: c.evictions,
    swapIns: c.swapIns,
    cleanDrops: c.cleanDrops,
    framesInUse: c.framesInUse,
    framesTotal: c.framesTotal,
  };
}

/** Pages the grid shows as not present whose content is in the swap store become PAGE_SWAPPED. */
export function markSwapped(swapped: Uint8Array, out: Uint8Array): void {
  const n = Math.min(swapped.length, out.length);
  for (let i = 0; i < n; i++) if (swapped[i] === 1 && out[i] === PAGE_NOT_PRESENT) out[i] = PAGE_SWAPPED;
}
