/*
 * Why a debugged slice paused: the guest has not stopped, a debugger's trap caught it, and it can
 * go on. A Machine only pauses for traps a debugger set (breakpoints.ts, watch-pages.ts), so
 * runSlice(), which no debugger drives, never sees one; debugSlice() returns them.
 *
 *   breakpoint   the pc reached a breakpoint; the instruction there has not run
 *   watch        an access met rights withheld in the nested tables for a watched page; it has
 *                not run either. `gva` is the address the instruction accessed (as the engine
 *                reported it to the fill hook), `gpa` the guest-physical page it reached.
 */
import type { AccessKind } from '../../mmu/prot.js';
import type { RecordedFault } from '../stop-cause.js';
import type { StopReason } from '../stop-reason.js';

export type DebugPause =
  | { readonly kind: 'breakpoint'; readonly pc: number }
  | {
      readonly kind: 'watch';
      readonly pc: number;
      readonly gva: number;
      readonly gpa: number;
      readonly access: AccessKind;
      /** The guest's table walk made the access (reading a watched table page), not the instruction. */
      readonly table: boolean;
    };

export const isPause = (r: StopReason | DebugPause): r is DebugPause => 'kind' in r;

/** The pause for a fault the fill hook recorded, when it was a watched page's; else null. */
export function watchPause(r: RecordedFault | null): DebugPause | null {
  if (r === null || r.fault.kind !== 'watch') return null;
  const { gpa, access, table } = r.fault;
  return { kind: 'watch', pc: Number(r.pc), gva: Number(r.va), gpa, access, table };
}
