/*
 * The guest walk with its nested misses served: the one loop that both host-side walkers of the
 * guest's tables run (the fill hook, nested-mmu.ts, and the devices' dry runs, held-memory.ts).
 *
 *   walkGuest ──► ok            the walk result, for the caller's nested step
 *             ──► guest-fault   the guest's own page fault, as a TranslationFault
 *             ──► nested-miss   a guest table page has no usable nested leaf: `serve` takes the
 *                               nested fault for it (a fault value stops the walk), then walk again
 *
 * Invariants: the loop is bounded by MAX_TABLE_FAULTS served misses per walk. A served table page
 * misses again only when a later fault of the same walk took its leaf table back (the table pool
 * stole it because host memory is short for the guest's tables), so running out of the bound is
 * answered as the value 'exhausted' for the page that missed last, never as an endless loop or an
 * exception. Each served miss's failure is returned as the caller's serve() reported it.
 */
import type { Gva } from '../mmu/addr.js';
import {
  walkGuest,
  type GuestPaging,
  type GuestPhysAccess,
  type NestedMiss,
  type WalkOk,
  type WalkOptions,
} from '../mmu/guest-walk/index.js';
import type { AccessKind } from '../mmu/prot.js';
import { guestPageFault, type TranslationFault } from './translator.js';

/** Nested faults one guest walk may take on its table pages: one per level of a 4-level walk, twice. */
export const MAX_TABLE_FAULTS = 8;

/** Take the nested fault for a table page met walking va; null when it is now mapped, else why not. */
export type ServeMiss = (miss: NestedMiss, va: Gva) => TranslationFault | null;

/** Walk the guest's tables for va, serving nested misses through `serve`, until a result. */
export function walkServingMisses(
  paging: GuestPaging,
  tables: GuestPhysAccess,
  va: Gva,
  access: AccessKind,
  user: boolean,
  serve: ServeMiss,
  opts?: WalkOptions,
): WalkOk | TranslationFault {
  for (let served = 0; ; served++) {
    const r = walkGuest(paging, tables, va, access, user, opts);
    if (r.kind === 'ok') return r;
    if (r.kind === 'guest-fault') return guestPageFault(r);
    if (served === MAX_TABLE_FAULTS) return { kind: 'exhausted', gpa: r.cause.gpa, access: r.cause.access };
    const f = serve(r.cause, va);
    if (f !== null) return f;
  }
}
