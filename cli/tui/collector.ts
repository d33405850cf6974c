/*
 * The TUI's consumer of the MMU event stream: an EventSink that turns events into the parts of a
 * TuiSnapshot that only events can tell (what happened, in order). openTuiSession
 * (machine-port.ts) makes it the Machine's sink, fanned out with --trace's writer, and SessionCore
 * reads it for every snapshot it builds. What it keeps:
 *
 *   fault log      a ring of the last `capacity` faults, fills, actions and reclaim's evictions and
 *                  swap-ins (seq numbers never reuse);
 *                  SessionCore adds every user action with logAction
 *   hold log       a ring of recent hold/release events, and per client the holds still out
 *   client states  the last 'client-state' event per client
 *   dirty counts   pages that became dirty since the last harvest ('ad-set' with dirty), harvests
 *   generation     the last 'generation' event
 *   stamp          bumped by every event that changes any of the above
 *
 * The live session takes the fault log, the hold log and the dirty counts from here. Everything
 * else in a snapshot (registers, the page grid, walks, PV heads, pools, and the clients with
 * their states and holds) MachineTuiPort reads from the machine's side-effect-free inspection
 * helpers (inspect.ts reads each VmClient's holds directly, with their chains and deferred-dirty
 * flags, which events do not carry). clientState(), clientHolds(), the generation and logFill()
 * serve a session without such direct access; the collector's tests use them.
 *
 * Costs: emit() is O(1) amortised and allocates one small object per kept event, and only while
 * the sink is enabled; the TUI reads it at 10 Hz. Deterministic: no clock is read here; the dirty
 * rate takes the time from its caller.
 */
import type { EventSink, MmuEvent } from '../../mmu/events.js';
import { gpa as toGpa, gva as toGva, hfn as toHfn } from '../../mmu/addr.js';
import type { ClientState, FaultLogEntry, HoldInfo, HoldLogEntry } from './model.js';
import { RateMeter } from './rate-meter.js';

const CLIENT_STATES: readonly string[] = ['IDLE', 'ACTIVE', 'HOLD', 'ON_CPU', 'ORPHANED', 'DESTROY'];

/** A fixed-capacity ring that hands out its contents oldest first. */
class Ring<T> {
  private readonly items: T[] = [];
  private head = 0;
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
    }
  }
  toArray(): T[] {
    return this.items.slice(this.head).concat(this.items.slice(0, this.head));
  }
}

export interface CollectorOptions {
  /** Fault-log entries kept (default 500). */
  readonly capacity?: number;
  /** Hold/release entries kept (default 64). */
  readonly holdCapacity?: number;
}

export class TuiCollector implements EventSink<MmuEvent> {
  enabled = true;
  stamp = 0;
  generation = 0;
  harvests = 0;
  dirtySinceHarvest = 0;
  /** Total pages ever seen turning dirty; the dirty rate is its derivative. */
  dirtyTotal = 0;
  private seq = 0;
  private total = 0;
  private readonly log: Ring<FaultLogEntry>;
  private readonly holdLog: Ring<HoldLogEntry>;
  private readonly states = new Map<number, ClientState>();
  private readonly holds = new Map<number, HoldInfo[]>();
  private readonly rate = new RateMeter();

  constructor(opts: CollectorOptions = {}) {
    this.log = new Ring(opts.capacity ?? 500);
    this.holdLog = new Ring(opts.holdCapacity ?? 64);
  }

  emit(e: MmuEvent): void {
    switch (e.type) {
      case 'fault':
        return this.push({
          origin: 'fault',
          kind: e.result === 'mmio' ? 'mmio' : e.access,
          gpa: toGpa(e.gpa),
          gva: e.gva === undefined ? undefined : toGva(e.gva),
          result: e.result,
          hfn: e.hfn === undefined ? undefined : toHfn(e.hfn),
          client: e.client,
        });
      case 'hold':
        this.holdsOf(e.client).push({
          gpa: toGpa(e.gpa),
          prot: e.prot,
          deferredDirty: false,
          hfn: toHfn(e.hfn),
        });
        this.holdLog.push({ seq: ++this.seq, client: e.client, op: 'hold', gpa: toGpa(e.gpa), prot: e.prot });
        break;
      case 'release': {
        const list = this.holdsOf(e.client);
        const i = list.findIndex((h) => h.gpa === e.gpa);
        if (i >= 0) list.splice(i, 1);
        this.holdLog.push({
          seq: ++this.seq,
          client: e.client,
          op: 'release',
          gpa: toGpa(e.gpa),
          dirty: e.dirty,
        });
        break;
      }
      case 'client-state':
        if (CLIENT_STATES.includes(e.state)) this.states.set(e.client, e.state as ClientState);
        break;
      case 'ad-set':
        if (!e.dirty) return;
        this.dirtySinceHarvest++;
        this.dirtyTotal++;
        break;
      case 'harvest':
        this.harvests++;
        this.dirtySinceHarvest = 0;
        break;
      case 'generation':
        this.generation = e.generation;
        break;
      case 'evict':
      case 'swap-in':
        return this.logReclaim(e);
      default:
        return;
    }
    this.stamp++;
  }

  /* Reclaim's evictions and major faults (swap-ins), in the fault log beside the faults. */
  private logReclaim(e: Extract<MmuEvent, { type: 'evict' | 'swap-in' }>): void {
    this.push({
      origin: 'reclaim',
      kind: e.type === 'evict' ? 'evict' : 'major', // a swap-in is a major fault
      gpa: e.gpa < 0 ? undefined : toGpa(e.gpa),
      hfn: toHfn(e.hfn),
      note: e.type === 'swap-in' ? 'swapped in' : e.dirty ? 'swapped out' : 'clean drop',
    });
  }

  /** A fill the emulator chose to report (a walk that found the page present: no VM exit). */
  logFill(kind: 'read' | 'write' | 'exec', gpa: number, hfn: number, gva?: number): void {
    this.push({
      origin: 'fill',
      kind,
      gpa: toGpa(gpa),
      gva: gva === undefined ? undefined : toGva(gva),
      result: 'filled',
      hfn: toHfn(hfn),
    });
  }

  /** A watched page's nested fault (a gdb watchpoint, cli/gdb/watches.ts): the Machine's 'watch' event. */
  logWatch(e: { gva: number; gpa: number; access: 'read' | 'write' | 'exec' }): void {
    this.push({ origin: 'watch', kind: e.access, gpa: toGpa(e.gpa), gva: toGva(e.gva), result: 'watch' });
  }

  /** A user action, as the TUI asked for it; also what the adapter writes to --trace. */
  logAction(note: string): void {
    this.push({ origin: 'action', kind: 'action', note });
  }

  faults(): { entries: FaultLogEntry[]; total: number } {
    return { entries: this.log.toArray(), total: this.total };
  }

  holdEntries(): HoldLogEntry[] {
    return this.holdLog.toArray();
  }

  clientState(client: number): ClientState {
    return this.states.get(client) ?? 'IDLE';
  }

  clientHolds(client: number): readonly HoldInfo[] {
    return this.holds.get(client) ?? [];
  }

  /** Known client ids, in order. */
  clients(): number[] {
    return [...new Set([...this.states.keys(), ...this.holds.keys()])].sort((a, b) => a - b);
  }

  /**
   * Pages per second turning dirty, measured between calls at least 250 ms apart (the caller
   * passes the time, e.g. performance.now(); between measurements the last rate stays).
   */
  dirtyRate(nowMs: number): number {
    return this.rate.sample(this.dirtyTotal, nowMs);
  }

  private holdsOf(client: number): HoldInfo[] {
    let list = this.holds.get(client);
    if (!list) this.holds.set(client, (list = []));
    return list;
  }

  private push(e: Omit<FaultLogEntry, 'seq'>): void {
    this.log.push({ seq: ++this.seq, ...e });
    this.total++;
    this.stamp++;
  }
}
