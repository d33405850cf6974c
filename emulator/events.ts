/*
 * The Machine's event stream: the MMU layers' events (mmu/events.ts) plus what only the emulator
 * sees. One stream feeds the TUI, the --trace JSON-lines writer and the run summary (DESIGN §6).
 * Same rules as the MMU events: plain numbers and strings only, no wall-clock time, built only
 * when the sink is enabled.
 */
import type { MmuEvent } from '../mmu/events.js';

export type EmulatorEvent =
  /**
   * Unicorn's TLB missed and the fill hook translated a page (gva = gpa while paging is off); pc
   * and insns say which instruction asked (mmu/events.ts AccessSite).
   */
  | {
      type: 'fill';
      gva: number;
      gpa: number;
      access: 'read' | 'write' | 'exec';
      hpa: number;
      prot: number;
      pc: number;
      insns: number;
    }
  /** The guest's own page tables refused an access: it stops (Unicorn cannot deliver the exception). */
  | { type: 'guest-fault'; gva: number; level: number; reason: string; access: string }
  /** An access met rights a debugger withheld on a watched page (a watchpoint's nested fault). */
  | { type: 'watch'; gva: number; gpa: number; access: 'read' | 'write' | 'exec'; pc: number; table: boolean }
  /** A device saw an access (port I/O or an MMIO page). */
  | { type: 'device'; device: string; op: 'read' | 'write'; offset: number; size: number; value: number }
  /** The vCPU entered the guest for a slice / came back out of it (`cpu`: which, with several). */
  | { type: 'vcpu-enter'; generation: number; flushed: boolean; cpu?: number }
  | { type: 'vcpu-exit'; instructions: number; kicked: boolean; cpu?: number }
  /** Something a user or lab script did between slices (TUI key, library call). */
  | { type: 'action'; action: string; detail: string }
  /** Post-copy: the destination needed page `page` (guest-physical gpa) before it arrived; the source sent it at once. */
  | { type: 'page-request'; page: number; gpa: number }
  /** Post-copy: a slice's background push landed (pages placed, stale pushes dropped, pages still missing). */
  | { type: 'postcopy-push'; pushed: number; discarded: number; missing: number };

export type MachineEvent = MmuEvent | EmulatorEvent;
