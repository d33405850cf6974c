/*
 * The event stream of the MMU layers (DESIGN §6).
 *
 * Every layer reports what it does as a typed event through an EventSink. The TUI, the --trace
 * JSON-lines writer and the run summary are all consumers of one stream, so an event must carry
 * plain numbers and strings only (it is serialised as it is) and must never carry wall-clock time
 * or anything random: the same guest and options give the same events in the same order.
 *
 * Cost rule: building an event object is not free, so producers on hot paths test `sink.enabled`
 * before building one. `nullSink` is disabled and drops everything.
 *
 * Addresses in events are numbers (their brands are erased on the wire); the field name says which
 * space they belong to: gpa, gva, hpa (host-physical), pte (host-physical location of an entry),
 * hfn (host frame number).
 */

/**
 * Where in the guest's execution an access was made, for the events of the fill path: the
 * instruction's address and how many instructions completed before it (so `--at-insns insns`
 * stops the guest right before that instruction). Deterministic, as every event field is.
 */
export interface AccessSite {
  readonly pc: number;
  readonly insns: number;
}

/** PV head kinds (mmu/host/pmap): how a host frame's mappings are recorded. */
export type PvHeadKind = 'empty' | 'single' | 'list' | 'table';

export type MmuEvent =
  // host memory and pmap
  // the host as built: host RAM frames, guest pages reserved (set aside, none handed out yet),
  // the table pool's reserve, frames left free, and the host layout with its seed
  | {
      type: 'host-init';
      frames: number;
      reserved: number;
      tableReserve: number;
      free: number;
      layout: 'scattered' | 'identity';
      seed: number;
    }
  | { type: 'frame-alloc'; hfn: number; purpose: 'table' | 'guest' }
  | { type: 'frame-free'; hfn: number }
  | { type: 'pv-enter'; hfn: number; pte: number; head: PvHeadKind }
  | { type: 'pv-remove'; hfn: number; pte: number; head: PvHeadKind }
  | { type: 'pv-convert'; hfn: number; from: PvHeadKind; to: PvHeadKind }
  | { type: 'disconnect'; hfn: number; cleared: number }
  | { type: 'pv-refill'; where: 'cpu' | 'global' | 'reserve'; count: number }
  | { type: 'table-steal'; hfn: number; level: number; base: number; cleared: number }
  | { type: 'table-reap'; freed: number }
  // GPT
  | { type: 'populate'; gpa: number; len: number }
  | { type: 'vacate'; gpa: number; len: number }
  | { type: 'table-alloc'; hfn: number; level: number; base: number }
  | { type: 'table-free'; hfn: number; level: number; base: number }
  | { type: 'map'; gpa: number; hfn: number; prot: number; pte: number }
  | { type: 'unmap'; gpa: number; hfn: number; pte: number }
  | { type: 'ad-set'; gpa: number; accessed: boolean; dirty: boolean }
  | { type: 'ad-reset'; gpa: number; accessed: boolean; dirty: boolean }
  // a populated GPT table without a host frame: not allocated yet (memory short) or stolen by the pool
  | { type: 'table-unbacked'; level: number; base: number; reason: 'exhausted' | 'stolen' }
  // vmspace, clients and holds
  | { type: 'vm-map'; gpa: number; len: number; object: string; prot: number }
  | { type: 'vm-unmap'; gpa: number; len: number }
  | {
      type: 'fault';
      client: number;
      gpa: number;
      access: 'read' | 'write' | 'exec';
      result: 'mapped' | 'mmio' | 'nomap' | 'rights';
      hfn?: number;
      /** The guest-virtual access that met the fault, while the guest pages (a TLB fill's). */
      gva?: number;
      /** The instruction behind it and the instructions before (a TLB fill's; see AccessSite). */
      pc?: number;
      insns?: number;
    }
  | { type: 'hold'; client: number; gpa: number; prot: number; hfn: number }
  | { type: 'release'; client: number; gpa: number; dirty: boolean }
  | { type: 'harvest'; gpa: number; len: number; dirty: number }
  // dirty log in ring mode: a vCPU's PML log filled up (a VM exit); its entries went to the dirty ring
  | { type: 'pml-full'; client: number; entries: number }
  | { type: 'invalidate'; gpa: number; len: number }
  | { type: 'generation'; generation: number }
  | { type: 'client-state'; client: number; state: string }
  // a vCPU client running on stale tables was asked to leave the guest (uc_emu_stop)
  | { type: 'client-kick'; client: number; generation: number }
  // a nested fault that could not be served: no host frame for a page table
  | { type: 'fault-exhausted'; client: number; gpa: number; access: 'read' | 'write' | 'exec' }
  // the last reference to a VM object went away (memory frames back to the reservoir)
  | { type: 'object-free'; object: string; pages: number }
  // reclaim (mmu/vm/reclaim.ts): a guest page lost its frame to the policy; `dirty` = swapped out,
  // clean = dropped (its swap copy still true); gpa is -1 when no mapping shows the page
  | { type: 'evict'; hfn: number; object: string; page: number; gpa: number; dirty: boolean; policy: string }
  | { type: 'swap-out'; hfn: number; object: string; page: number; gpa: number }
  | { type: 'swap-in'; hfn: number; object: string; page: number; gpa: number }
  // same-page merging (mmu/vm/merge-scan.ts): a page moved onto a shared frame, write withheld;
  // a write broke a share (a copy in a frame of its own); one scanner pass over `pages` pages
  | { type: 'merge'; vm: number; gpa: number; from: number; to: number }
  | { type: 'merge-break'; vm: number; gpa: number; from: number; to: number }
  | { type: 'evict-shared'; vm: number; hfn: number; gpa: number; pages: number; ptes: number; vms: number[] }
  | { type: 'merge-pass'; pages: number; merged: number; shared: number; sharing: number };

export type MmuEventType = MmuEvent['type'];

/** Where events go. Producers must check `enabled` before building an event on a hot path. */
export interface EventSink<E = MmuEvent> {
  readonly enabled: boolean;
  emit(event: E): void;
}

export const nullSink: EventSink<never> = { enabled: false, emit() {} };

/** Collects events in memory; used by tests and by the run summary. */
export class EventLog<E = MmuEvent> implements EventSink<E> {
  readonly enabled = true;
  readonly events: E[] = [];
  emit(event: E): void {
    this.events.push(event);
  }
}

/** Fans one stream out to several consumers. */
export class EventFanout<E = MmuEvent> implements EventSink<E> {
  constructor(private readonly sinks: EventSink<E>[]) {}
  get enabled(): boolean {
    return this.sinks.some((s) => s.enabled);
  }
  emit(event: E): void {
    for (const s of this.sinks) if (s.enabled) s.emit(event);
  }
}
