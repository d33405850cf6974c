/*
 * VM clients: the handles through which a vCPU or a device touches a vmspace.
 *
 * A client's state is a set of flags, as in the seed, because some of them coexist (a vCPU can be
 * ON_CPU while an administrative change holds it, and its fill hook can take a fault, ACTIVE,
 * while it is ON_CPU):
 *
 *    4        3          2        1      0
 *  +--------+----------+--------+------+--------+
 *  |DESTROY |ORPHANED  |ON_CPU  |HOLD  |ACTIVE  |      no flag set = IDLE
 *  +--------+----------+--------+------+--------+
 *   ACTIVE    inside fault() or hold(): using the vmspace's mappings
 *   HOLD      an administrative change (map, unmap, harvest, ...) is excluding the client
 *   ON_CPU    a vCPU is running guest code on the tables (between tableEnter and tableExit)
 *   ORPHANED  the vmspace was destroyed; the client can only release holds and be destroyed
 *   DESTROY   the client was destroyed; any further use is a bug
 *
 * The state shown (events, TUI) is the most significant flag set, DESTROY first, IDLE when none.
 * A 'client-state' event is emitted on every change of the flags.
 *
 * What "waiting" means in one JavaScript thread. The seed blocks a client on HOLD and makes the
 * vmspace wait for ACTIVE clients to finish. Here an administrative change runs synchronously
 * between Unicorn slices, so a client that is ACTIVE when a change starts, or asks to become
 * ACTIVE while on HOLD, is a re-entrant call: both throw. A vCPU that is ON_CPU cannot be waited
 * for either: when a change removes translations, the client is kicked (the callback registered
 * with setKick, which the Machine points at uc_emu_stop) and stays ON_CPU until the run loop comes
 * round and calls tableExit; its next tableEnter answers mustFlush, and the Machine flushes
 * Unicorn's TLB (INVEPT / INVLPGA / TLBI in the real thing).
 *
 * Generation protocol, per client: tableEnter records the vmspace generation; mustFlush is true
 * when the record it replaces is older (a fresh client's record is 0, so its first entry flushes).
 * A kick is sent at most once per stay on the CPU, and only to a client whose record is older than
 * the generation a change produced.
 *
 * Invariants: ACTIVE is never nested; tableEnter only from not ON_CPU and not ACTIVE; a destroyed
 * client has no holds; holds() lists exactly the unreleased holds taken through this client.
 */

import type { Gpa, Gva, Hpa } from '../addr.js';
import { pageAlignDown } from '../addr.js';
import { assert, broken } from '../checks.js';
import type { AccessSite, EventSink, MmuEvent } from '../events.js';
import type { AccessKind, Prot } from '../prot.js';
import { PROT_ALL, PROT_WRITE } from '../prot.js';
import { PageHold } from './page-hold.js';
import { PmlLog } from './pml-log.js';
import type { VmCounters } from './vm-counters.js';
import type { GatedClient } from './vm-generation.js';
import type { VmObject } from './vm-object.js';
import type { FaultResult, Orphaned } from './vm-results.js';
import type { Vmspace } from './vmspace.js';

export const CS_ACTIVE = 1 << 0;
export const CS_HOLD = 1 << 1;
export const CS_ON_CPU = 1 << 2;
export const CS_ORPHANED = 1 << 3;
export const CS_DESTROY = 1 << 4;

export type ClientStateName = 'IDLE' | 'ACTIVE' | 'HOLD' | 'ON_CPU' | 'ORPHANED' | 'DESTROY';

export const stateName = (flags: number): ClientStateName =>
  flags & CS_DESTROY
    ? 'DESTROY'
    : flags & CS_ORPHANED
      ? 'ORPHANED'
      : flags & CS_HOLD
        ? 'HOLD'
        : flags & CS_ACTIVE
          ? 'ACTIVE'
          : flags & CS_ON_CPU
            ? 'ON_CPU'
            : 'IDLE';

export interface TableEnter {
  /** The generation recorded for this stay on the CPU. */
  generation: number;
  /** Flush Unicorn's TLB before running guest code: the tables changed since the last stay. */
  mustFlush: boolean;
}

export interface HoldOptions {
  /** A write hold whose release does not mark the page dirty (until markDirty()). */
  deferDirty?: boolean;
}

/** What hold() answers when it cannot hold the page (a device window is not RAM: 'mmio'). */
export type HoldFailure = Exclude<FaultResult, { kind: 'mapped' }> | Orphaned;

export class VmClient implements GatedClient {
  readonly name: string;
  private flags = 0;
  private space: Vmspace | null;
  private readonly counters: VmCounters;
  private readonly sink: EventSink<MmuEvent>;
  private recorded = 0;
  private kicked = false;
  private kickFn: (() => void) | null = null;
  private invalFn: ((gpa: Gpa, len: number) => void) | null = null;
  private readonly held = new Set<PageHold>();
  /** The PML log the fill hook writes (the vmspace's dirty log in 'ring' mode), else null. */
  readonly pml: PmlLog | null;

  /** @internal made by Vmspace.createClient */
  constructor(
    space: Vmspace,
    readonly id: number,
    name?: string,
  ) {
    this.space = space;
    this.counters = space.counters;
    this.sink = space.sink;
    this.name = name ?? `client${id}`;
    this.pml = space.ringLog !== null ? new PmlLog() : null;
    this.emitState();
  }

  /* ---- state ---- */

  get state(): ClientStateName {
    return stateName(this.flags);
  }

  get stateFlags(): number {
    return this.flags;
  }

  /** The vmspace, or null once orphaned or destroyed. */
  get vmspace(): Vmspace | null {
    return this.space;
  }

  /** Generation recorded at the last tableEnter (0 before the first). */
  get generation(): number {
    return this.recorded;
  }

  /** The tables changed since the last tableEnter (a vCPU on them must flush). */
  get isStale(): boolean {
    return this.space !== null && this.recorded < this.space.generation;
  }

  /** Kicked during the current stay on the CPU. */
  get isKicked(): boolean {
    return this.kicked;
  }

  holds(): readonly PageHold[] {
    return [...this.held];
  }

  /** The callback that makes a vCPU leave the guest (the Machine: uc_emu_stop). */
  setKick(fn: (() => void) | null): void {
    this.assertLive();
    this.kickFn = fn;
  }

  /** Told (gpa, len) of every range whose translations were removed. */
  onInvalidate(fn: ((gpa: Gpa, len: number) => void) | null): void {
    this.assertLive();
    this.invalFn = fn;
  }

  /* ---- vCPU: running on the tables ---- */

  tableEnter(): TableEnter {
    this.assertLive();
    assert(this.space !== null, `client ${this.id}: entering the tables of a destroyed vmspace`);
    assert(
      (this.flags & (CS_ACTIVE | CS_ON_CPU)) === 0,
      `client ${this.id}: tableEnter while active or on CPU`,
    );
    const generation = this.space.generation;
    const mustFlush = this.recorded < generation;
    this.recorded = generation;
    this.kicked = false;
    this.setFlags(this.flags | CS_ON_CPU);
    return { generation, mustFlush };
  }

  tableExit(): void {
    assert((this.flags & CS_ON_CPU) !== 0, `client ${this.id}: tableExit while not on CPU`);
    this.kicked = false;
    this.setFlags(this.flags & ~CS_ON_CPU);
  }

  /* ---- data path: faults and holds ---- */

  /**
   * The fill hook set the Dirty bit of `page` in the leaf entry at `pte` (Gpt.markAccessed answered
   * it): in 'ring' mode the PML log records it, with the entry's address as a hint for the harvest
   * (pml-log.ts), and a log that fills takes the PML-full exit (RingDirtyLog.pmlFull,
   * ring-harvest.ts). No-op in 'bitmap' mode.
   */
  logDirty(page: Gpa, pte: Hpa): void {
    const s = this.space;
    if (this.pml !== null && s !== null && this.pml.append(page, pte, s.gpt.tables.frameEpoch))
      s.ringLog?.pmlFull(this);
  }

  /**
   * A nested page fault (ACTIVE around Vmspace.fault). A vCPU's fill hook may call it while ON_CPU:
   * the VM exit and re-entry, taken in place. `gva`, while the guest pages, is the guest-virtual
   * access that met the fault, and `site` the instruction behind it; they only go into the 'fault' event.
   */
  fault(gpa: Gpa, access: AccessKind, gva?: Gva, site?: AccessSite): FaultResult | Orphaned {
    if (!this.activate()) return { kind: 'orphaned' };
    try {
      return this.space!.fault(gpa, access, this.id, gva, site);
    } finally {
      this.deactivate();
    }
  }

  /**
   * Hold the page holding gpa for `prot` (a non-empty subset of R, W, X), mapping it if needed.
   * A PageHold, or why not (a device window answers 'mmio': it has no bytes to hold).
   */
  hold(gpa: Gpa, prot: Prot, opts: HoldOptions = {}): PageHold | HoldFailure {
    assert(prot !== 0 && (prot & ~PROT_ALL) === 0, `client ${this.id}: hold needs a non-empty prot`);
    assert(
      !opts.deferDirty || (prot & PROT_WRITE) !== 0,
      `client ${this.id}: only write holds defer dirtying`,
    );
    if (!this.activate()) return { kind: 'orphaned' };
    try {
      const space = this.space!;
      const page = pageAlignDown(gpa);
      const r = space.lookupMap(page, prot);
      if (r.kind !== 'mapped') return r;
      const h = new PageHold(this, page, r.hfn, prot, space.mem.frameBytes(r.hfn), opts.deferDirty ?? false);
      this.held.add(h);
      this.counters.holds.taken++;
      this.counters.holds.outstanding++;
      if (this.sink.enabled) this.sink.emit({ type: 'hold', client: this.id, gpa: page, prot, hfn: r.hfn });
      return h;
    } finally {
      this.deactivate();
    }
  }

  /** @internal PageHold.release: returns whether the hold's region had been unmapped. */
  releaseHold(h: PageHold, object: VmObject | null, writeDirty: boolean): boolean {
    assert(this.held.delete(h), `client ${this.id}: releasing a hold it does not have`);
    let dirty = false;
    if (object !== null) object.release();
    else if (writeDirty && this.space !== null) dirty = this.space.markHeldDirty(h.gpa, h.hfn);
    this.counters.holds.released++;
    this.counters.holds.outstanding--;
    if (this.sink.enabled) this.sink.emit({ type: 'release', client: this.id, gpa: h.gpa, dirty });
    return object !== null;
  }

  /* ---- teardown ---- */

  /** Leave the vmspace. No holds may be outstanding and the client may not be active or on CPU. */
  destroy(): void {
    this.assertLive();
    assert(this.held.size === 0, `client ${this.id}: destroyed with holds outstanding`);
    assert(
      (this.flags & (CS_ACTIVE | CS_ON_CPU)) === 0,
      `client ${this.id}: destroyed while active or on CPU`,
    );
    this.setFlags(this.flags | CS_DESTROY);
    this.space?.ringLog?.drain(this); // what it logged stays dirty after it goes
    if (this.space !== null) this.space.removeClient(this);
    this.space = null;
  }

  /* ---- called by the vmspace during administrative changes ---- */

  /** @internal */
  spaceHold(): void {
    assert(
      (this.flags & CS_ACTIVE) === 0,
      `client ${this.id}: administrative change during its fault or hold`,
    );
    assert((this.flags & CS_HOLD) === 0, `client ${this.id}: already on hold`);
    this.setFlags(this.flags | CS_HOLD);
  }

  /** @internal */
  spaceRelease(): void {
    assert((this.flags & CS_HOLD) !== 0, `client ${this.id}: released while not on hold`);
    this.setFlags(this.flags & ~CS_HOLD);
  }

  /** @internal translations in [gpa, gpa + len) were removed; the vmspace is now at `generation`. */
  spaceInvalidate(gpa: Gpa, len: number, generation: number): void {
    if ((this.flags & CS_ON_CPU) !== 0 && this.recorded < generation && !this.kicked) this.kick(generation);
    this.invalFn?.(gpa, len);
  }

  private kick(generation: number): void {
    this.kicked = true;
    this.counters.kicks++;
    if (this.sink.enabled) this.sink.emit({ type: 'client-kick', client: this.id, generation });
    this.kickFn?.();
  }

  /** @internal [gpa, gpa + len) of `object` is being unmapped: holds there keep the object alive. */
  spaceUnmap(gpa: Gpa, len: number, object: VmObject): void {
    for (const h of this.held) {
      if (h.gpa < gpa || h.gpa >= gpa + len) continue;
      h.detach(object);
    }
  }

  /** @internal the vmspace is being destroyed. */
  spaceOrphan(): void {
    if ((this.flags & CS_DESTROY) !== 0) return;
    for (const h of this.held)
      assert(h.wasUnmapped, `client ${this.id}: orphaned with a hold on a mapped page`);
    if ((this.flags & CS_ON_CPU) !== 0 && !this.kicked) this.kick(this.recorded);
    this.setFlags(this.flags | CS_ORPHANED);
    this.space = null;
  }

  /* ---- internals ---- */

  /* Become ACTIVE; false when orphaned. */
  private activate(): boolean {
    // every nested fault comes here: the messages are built only when a check fails
    const flags = this.flags;
    if ((flags & CS_DESTROY) !== 0) broken(`client ${this.id}: used after destroy`);
    if ((flags & CS_ORPHANED) !== 0) return false;
    if ((flags & CS_ACTIVE) !== 0) broken(`client ${this.id}: nested fault or hold`);
    if ((flags & CS_HOLD) !== 0) broken(`client ${this.id}: fault or hold during an administrative change`);
    this.setFlags(this.flags | CS_ACTIVE);
    return true;
  }

  private deactivate(): void {
    this.setFlags(this.flags & ~CS_ACTIVE);
  }

  private assertLive(): void {
    assert((this.flags & CS_DESTROY) === 0, `client ${this.id}: used after destroy`);
  }

  private setFlags(next: number): void {
    if (next === this.flags) return;
    this.flags = next;
    this.emitState();
  }

  private emitState(): void {
    if (this.sink.enabled)
      this.sink.emit({ type: 'client-state', client: this.id, state: stateName(this.flags) });
  }
}
