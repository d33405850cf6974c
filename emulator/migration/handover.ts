/*
 * Stop-and-copy and the hand-over: the source is stopped (no slice runs on it any more), the pages
 * the last round left dirty are sent, then the vCPU, device and run state (registers, the UART's
 * and the DMA engine's registers, the instruction count, the console so far), and the RAM of the
 * two sides is compared page by page by hash before the destination may run.
 *
 *   source stopped ── stop-and-copy pages ── guest state ── RAM check ── destination runs
 *                                                              │
 *                                                              └─ a page differs: the destination
 *                                                                 never runs; the first such page
 *                                                                 is named (exit 4 in the CLI)
 *
 * The RAM check reads both sides' frames (ram-pages.ts), never through the nested tables, so it
 * changes nothing on either side. `plant` is the hook a test or `--corrupt-page` uses to damage
 * one page on the destination after the copy, to show the check catching it.
 *
 * Invariant: the pre-copy has ended (precopy.ts) and the source did not stop by itself.
 */
import { PAGE_SIZE, type Gpa } from '../../mmu/addr.js';
import type { Machine } from '../machine.js';
import { firstDifferingPage, sendPage } from './ram-pages.js';

/** A page whose hash differs between the two sides at the hand-over. */
export interface PageMismatch {
  readonly page: number;
  readonly gpa: Gpa;
  /** The two hashes (ram-pages.ts pageHash). */
  readonly src: string;
  readonly dst: string;
}

export interface Handover {
  /** Pages sent while both sides were stopped. */
  readonly stopAndCopy: number;
  /** Guest instructions the source had run when it stopped. */
  readonly atInstructions: number;
  /** The destination's instruction count once the state is in (the source's, when it carries the count). */
  readonly destinationStart: number;
  /** The first page that differs after the copy, or null when the RAM agrees. */
  readonly mismatch: PageMismatch | null;
}

/** How the vCPU and device state goes from one Machine to the other. */
export type StateTransfer = (src: Machine, dst: Machine) => void;

/** The hand-over's state: registers, devices, instruction count and console (emulator/snapshot/guest-state.ts). */
export const transferGuestState: StateTransfer = (src, dst) => {
  dst.guestState(src.guestState());
};

/** Stop-and-copy `remaining`, transfer the state, (plant,) and compare the RAM of both sides. */
export function handOver(
  src: Machine,
  dst: Machine,
  remaining: readonly number[],
  transfer: StateTransfer,
  plant?: (dst: Machine) => void,
): Handover {
  const buf = new Uint8Array(PAGE_SIZE);
  for (const page of remaining) {
    if (!sendPage(src, dst, page, buf))
      throw new Error(`migration: the destination has no frame for page ${page}`);
  }
  transfer(src, dst);
  plant?.(dst);
  return {
    stopAndCopy: remaining.length,
    atInstructions: src.instructions,
    destinationStart: dst.instructions,
    mismatch: firstDifferingPage(src, dst),
  };
}
