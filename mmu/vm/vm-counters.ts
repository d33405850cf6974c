/*
 * Counters of one vmspace, for the run summary and the TUI status line.
 *
 * Plain numbers, bumped where the thing happens; nothing here is derived or timed, so two runs of
 * the same guest end with the same counters. Faults are counted twice: once by the access that
 * caused them and once by what they resulted in (their sums agree). Holds: taken - released =
 * outstanding, always.
 */

import type { AccessKind } from '../prot.js';
import type { FaultKind } from './vm-results.js';

export interface VmCounters {
  faultsByAccess: Record<AccessKind, number>;
  faultsByResult: Record<FaultKind, number>;
  /** vmspace map / unmap / populate calls that changed something. */
  maps: number;
  unmaps: number;
  populates: number;
  /** Dirty-log harvests, Accessed resets and frame disconnects (calls, whatever they found). */
  harvests: number;
  accessedResets: number;
  disconnects: number;
  /** Page-table generation bumps, and invalidation notices that reached at least this vmspace. */
  generationBumps: number;
  invalidations: number;
  /** ON_CPU clients asked to leave the guest. */
  kicks: number;
  /** PML-full VM exits (dirty log in 'ring' mode: a vCPU's 512-entry log filled up). */
  pmlFullExits: number;
  holds: { taken: number; released: number; outstanding: number };
}

export const newCounters = (): VmCounters => ({
  faultsByAccess: { read: 0, write: 0, exec: 0 },
  faultsByResult: { mapped: 0, mmio: 0, nomap: 0, rights: 0, exhausted: 0 },
  maps: 0,
  unmaps: 0,
  populates: 0,
  harvests: 0,
  accessedResets: 0,
  disconnects: 0,
  generationBumps: 0,
  invalidations: 0,
  kicks: 0,
  pmlFullExits: 0,
  holds: { taken: 0, released: 0, outstanding: 0 },
});
