/*
 * What vmspace and client operations answer, as values (house rule: a failure the guest -- or a
 * VMM request that is simply wrong -- can cause is a value, never an exception).
 *
 *   fault / hold            'mapped'    the page is (now) in the GPT: host frame, rights, PTE location
 *                           'mmio'      the page is a device window: the aperture address to send the
 *                                       access to (the page is mapped too, memory type uncached)
 *                           'nomap'     no mapping covers the address (the guest touched a hole)
 *                           'rights'    a mapping covers it but does not grant the access
 *                           'exhausted' host memory ran out for a page table or a guest frame
 *                           'orphaned'  the client's vmspace has been destroyed
 *   map                     'ok' | 'overlap' | 'invalid'
 *   unmap / populate        'ok' | 'nomap' (| 'exhausted' for populate)
 *
 * Rights in results are Prot sets (R=1, W=2, X=4, mmu/prot.ts).
 */

import type { Gpa, Hfn, Hpa } from '../addr.js';
import type { Prot } from '../prot.js';
import type { VmObject } from './vm-object.js';

export type FaultMapped = { kind: 'mapped'; gpa: Gpa; hfn: Hfn; prot: Prot; pte: Hpa };
export type FaultMmio = { kind: 'mmio'; gpa: Gpa; hpa: Hpa; object: VmObject; prot: Prot; pte: Hpa };
export type FaultNomap = { kind: 'nomap'; gpa: Gpa };
/** `prot` is what the mapping grants (what the access asked for was more). */
export type FaultRights = { kind: 'rights'; gpa: Gpa; prot: Prot };
export type FaultExhausted = { kind: 'exhausted'; gpa: Gpa };
export type Orphaned = { kind: 'orphaned' };

export type FaultResult = FaultMapped | FaultMmio | FaultNomap | FaultRights | FaultExhausted;
export type FaultKind = FaultResult['kind'];
export const FAULT_KINDS: readonly FaultKind[] = ['mapped', 'mmio', 'nomap', 'rights', 'exhausted'];

export type MapResult =
  /** `unbacked`: page tables that could not get a host frame yet (they are made on first fault). */
  | { kind: 'ok'; unbacked: number }
  | { kind: 'overlap'; gpa: Gpa; len: number; existing: { gpa: Gpa; len: number } }
  | { kind: 'invalid'; reason: string };

/** `cleared`: present PTEs the unmap removed (0 when the guest never touched the region). */
export type UnmapResult = { kind: 'ok'; cleared: number } | { kind: 'nomap'; gpa: Gpa; len: number };

/** `mapped`: PTEs written by this populate (pages already resident are not counted). */
export type PopulateResult =
  | { kind: 'ok'; mapped: number }
  | { kind: 'exhausted'; mapped: number }
  | { kind: 'nomap'; gpa: Gpa; len: number };

/** harvestDirty's answer when dirty tracking is off: nothing was read or cleared. */
export const DIRTY_TRACKING_OFF = -1;
