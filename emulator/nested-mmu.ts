/*
 * The MMU "hardware": what the TLB-fill hook does with every guest address that misses in
 * Unicorn's software TLB (DESIGN §1). It is the Translator every Machine asks by default; the
 * Machine speaks only the Translator interface, so a test can put FixedOffsetTranslator in its
 * place (translator.ts), and the guest cannot tell which one it runs on.
 *
 * One fill, top to bottom; each step returns what the next one needs:
 *
 *   translate(va, access)
 *     guestWalk (guest paging on)   walkServingMisses (serving-walk.ts): the guest's own walk;
 *                                   every guest table read is itself a gpa that goes through the
 *                                   GPT (readTable / writeTable, the 2-D walk), and a table page
 *                                   with no nested leaf is served by nested() like any other page
 *       ──► WalkOk (gpa, tlbProt), or the fault value that stops the guest
 *     nested(page)                  Gpt.translate decodes the leaf into a reused TranslatedLeaf;
 *                                   a miss is a NESTED PAGE FAULT (a VM exit): VmClient.fault ──►
 *                                   Vmspace.fault maps the page (memory object), maps the device
 *                                   aperture (MMIO object), or answers why not (no mapping, rights
 *                                   never granted, host memory exhausted); then translate again
 *       ──► the decoded leaf, or the fault value
 *     hit(leaf)                     set Accessed, and Dirty on a write (markAccessed: only when the
 *                                   format has hardware A/D, only when a bit changes; a Dirty bit
 *                                   set here goes into the vCPU's PML log in ring mode); cache the
 *                                   leaf's rights within the guest's, but withhold write while
 *                                   dirty tracking is on and the leaf is clean, so that the first
 *                                   write comes back as a write fill and sets Dirty
 *       ──► { hpa, prot } for Machine.fill
 *
 * The paging state (the `paging` option: a register read through the binding, an engine call) is
 * read on every fill but one kind: inside an engine run (between runBoundary(true) and
 * runBoundary(false), which the Machine calls around uc_emu_start through enterTables and
 * leaveTables), a data fill after a fill that found paging off takes it as still off. That is exact because nothing but a guest
 * instruction changes CR0.PG or SCTLR_EL1.M during a run, and both CPU models answer such a write
 * by flushing the whole TLB (and the code-block jump cache with it) and ending the translated
 * block: the next thing the engine does is look up the next block, which fills its code page
 * first, a fetch fill, and a fetch fill always reads the state afresh. Paging on is never assumed:
 * every fill then reads its configuration. Each run starts from a fresh read, so a register write
 * between runs (a snapshot's restore, a debugger) is seen.
 *
 * While the guest pages, its guest-virtual address rides along into VmClient.fault, so the
 * vmspace's 'fault' event names the access that caused it; with a sink, the instruction behind
 * the fill (its pc and the instructions before it, the `site` option) goes into the 'fill' and
 * 'fault' events too. The site is read only when an event is built.
 *
 * A miss on a page a debugger restricted (Vmspace.restrictPage, for a watchpoint) is not taken
 * into the vmspace, which would map the page back with its full rights: it is answered as the
 * value 'watch', with the exact guest-physical address, and the Machine pauses the slice on it
 * (emulator/debug/debug-pause.ts). Only a miss pays for that check; a hit never does.
 *
 * Invariants:
 *   - A translation is only ever returned from a PTE read out of host RAM at that moment; nothing is
 *     cached here. Unicorn's TLB is the only cache, and the generation protocol (Machine + VmClient)
 *     flushes it whenever a PTE loses rights.
 *   - The returned rights never exceed the leaf's rights, nor the guest's own rights for the page,
 *     and always include the right the access needs (else the result is a fault value).
 *   - Each dimension has its own bound. Nested: one fault per page; a page that still misses after
 *     a successful nested fault is a bug (InvariantError). Guest: MAX_TABLE_FAULTS served table
 *     misses per walk (serving-walk.ts), then the value 'exhausted'. Never an endless loop.
 *   - Every leaf a fill uses (hit or fault, the guest's table pages too) pins its frame and its
 *     leaf table for the instruction in flight (inFlight, mmu/host/pinned-since-retire.ts), so no
 *     steal or eviction takes them before the instruction retires; the Machine stamps each fill
 *     with its instruction. More than stormLimit nested faults with no instruction retired are
 *     answered with the value 'storm' (instruction-footprint.ts says why that cannot happen).
 *   - No allocation on a hit with guest paging off: the Translation is one reused record (read
 *     at once by the fill, never kept); fill events are built only when the sink wants them.
 *   - A fill event says what the engine learns: its capacity refills are counted but not traced
 *     (refill-filter.ts says why), so two runs of one guest give the same trace.
 */
import {
  hfnToHpa,
  pageAlignDown,
  pageOffset,
  gpa as toGpa,
  hex,
  type Gpa,
  type Hpa,
  type Gva,
  type Hfn,
} from '../mmu/addr.js';
import { InvariantError } from '../mmu/checks.js';
import type { AccessSite, EventSink } from '../mmu/events.js';
import { NOT_DIRTIED } from '../mmu/gpt/gpt.js';
import { newTranslatedLeaf, type TranslatedLeaf } from '../mmu/gpt/gpt-walk.js';
import type { GuestPaging, GuestPhysAccess, NestedMiss, WalkOk, Word64 } from '../mmu/guest-walk/index.js';
import type { PinnedSinceRetire } from '../mmu/host/pinned-since-retire.js';
import { PROT_ALL, PROT_WRITE, type AccessKind } from '../mmu/prot.js';
import type { VmClient } from '../mmu/vm/vm-client.js';
import type { FaultResult, Orphaned } from '../mmu/vm/vm-results.js';
import type { Vmspace } from '../mmu/vm/vmspace.js';
import type { MachineEvent } from './events.js';
import { FAULT_STORM_LIMIT } from './instruction-footprint.js';
import { RefillFilter } from './refill-filter.js';
import { walkServingMisses, type ServeMiss } from './serving-walk.js';
import {
  nestedFault,
  type TranslateResult,
  type Translation,
  type TranslationFault,
  type Translator,
} from './translator.js';

/* A translator built without a site (tests): the events say pc 0 after 0 instructions. */
const NO_SITE: AccessSite = { pc: 0, insns: 0 };

/** Nested faults the fill path took, by kind of access (MMIO counted apart), and fills. */
export interface MmuCounters {
  fills: number;
  faults: { read: number; write: number; exec: number; mmio: number; total: number };
  guestWalks: number;
}

export interface NestedMmuOptions {
  readonly vmspace: Vmspace;
  /** The vCPU's client: nested faults are taken through it. */
  readonly client: VmClient;
  /** The guest's paging configuration now (null: paging off). Read on every fill but a data fill while known off (essay). */
  readonly paging: () => GuestPaging | null;
  /** Whether the vCPU runs at user privilege now (x86 CPL 3, arm64 EL0). */
  readonly user?: () => boolean;
  readonly sink?: EventSink<MachineEvent>;
  /** What the instruction in flight has filled (pinned here, cleared by the Machine at retirement). */
  readonly inFlight?: PinnedSinceRetire;
  /** Nested faults without a retired instruction that end the run as a 'storm' (default FAULT_STORM_LIMIT). */
  readonly stormLimit?: number;
  /** The instruction making the access now, for events (read only when the sink is enabled). */
  readonly site?: () => AccessSite;
}

export class NestedMmu implements Translator {
  readonly counters: MmuCounters = {
    fills: 0,
    faults: { read: 0, write: 0, exec: 0, mmio: 0, total: 0 },
    guestWalks: 0,
  };
  private readonly space: Vmspace;
  private readonly client: VmClient;
  private readonly u32: Uint32Array;
  private readonly sink: EventSink<MachineEvent> | null;
  /* Keeps the engine's capacity refills out of the trace (present only with a sink). */
  private readonly refills: RefillFilter | null;
  private readonly inFlight: PinnedSinceRetire | null;
  private readonly stormLimit: number;
  /* The guest's own tables, read through the nested translation (the second dimension). */
  private readonly guestPhys: GuestPhysAccess;
  /* The scratch record Gpt.translate decodes a leaf into (reused by every fill: no allocation). */
  private readonly leaf: TranslatedLeaf = newTranslatedLeaf();
  /* The Translation every hit returns (its caller reads it at once: Translator.translate). */
  private readonly granted: { hpa: Hpa; prot: number } = { hpa: 0 as Hpa, prot: 0 };
  /* The same as `leaf` for the guest table pages the guest walk reads. */
  private readonly tableLeaf: TranslatedLeaf = newTranslatedLeaf();
  /* A guest table page without a usable nested leaf: a nested fault, as for any page. */
  /* Inside an engine run, and a fill of it found guest paging off: data fills skip the read (essay). */
  private inRun = false;
  private pagingOff = false;
  private readonly serveTableMiss: ServeMiss = (miss, va) => {
    const r = this.nested(miss.gpa, miss.access, va);
    if (r === this.leaf) {
      this.counters.guestWalks++; // the walk runs again
      return null;
    }
    const f = r as TranslationFault;
    return f.kind === 'watch' ? { ...f, table: true } : f;
  };

  constructor(private readonly opts: NestedMmuOptions) {
    this.space = opts.vmspace;
    this.client = opts.client;
    this.u32 = opts.vmspace.mem.u32;
    this.sink = opts.sink?.enabled ? opts.sink : null;
    this.refills = this.sink ? new RefillFilter() : null;
    this.inFlight = opts.inFlight ?? null;
    this.stormLimit = opts.stormLimit ?? FAULT_STORM_LIMIT;
    this.guestPhys = {
      read64: (g, out) => this.readTable(g, out),
      write32: (g, value) => this.writeTable(g, value),
    };
  }

  /** An engine run of this vCPU begins (true) or has ended (false): the paging state is read afresh. */
  runBoundary(inRun: boolean): void {
    this.inRun = inRun;
    this.pagingOff = false;
  }

  /** The fill: va as the guest issued it -> host-physical page and the rights Unicorn may cache. */
  translate(va: Gva, access: AccessKind): TranslateResult {
    this.counters.fills++;
    const paging = this.pagingOff && access !== 'exec' ? null : this.readPaging();
    const walk = paging === null ? null : this.guestWalk(paging, va, access);
    if (walk !== null && walk.kind !== 'ok') return walk;
    const at = walk === null ? toGpa(va) : walk.gpa;
    const page = pageAlignDown(at);
    const leaf = this.nested(page, access, walk === null ? undefined : va, at);
    if (leaf !== this.leaf) return leaf as TranslationFault;
    const r = this.hit(this.leaf, access, walk === null ? PROT_ALL : walk.tlbProt);
    if (this.sink) this.traceFill(pageAlignDown(va), page, access, r);
    return r;
  }

  /* The guest's paging state from the vCPU, noted when it is off inside a run (see the essay). */
  private readPaging(): GuestPaging | null {
    const paging = this.opts.paging();
    this.pagingOff = paging === null && this.inRun;
    return paging;
  }

  /* The fill event, unless it only repeats what the engine was told since its last flush. */
  private traceFill(gvaPage: number, page: Gpa, access: AccessKind, r: Translation): void {
    if (!this.refills!.isNew(this.client.generation, gvaPage, page, r.hpa, r.prot)) return;
    const { pc, insns } = this.site() ?? NO_SITE;
    this.sink!.emit({ type: 'fill', gva: gvaPage, gpa: page, access, hpa: r.hpa, prot: r.prot, pc, insns });
  }

  /* ---- the nested dimension ---- */

  /*
   * The leaf for page, decoded into this.leaf (which is returned), taking at most one nested
   * fault; or why the page cannot be mapped. `gva` (while the guest pages) goes into the fault event.
   */
  private nested(
    page: Gpa,
    access: AccessKind,
    gva: Gva | undefined,
    at: Gpa = page,
  ): TranslatedLeaf | TranslationFault {
    const gpt = this.space.gpt;
    if (gpt.translate(page, access, this.leaf) >= 0) return this.pin(this.leaf);
    // a debugger withheld rights here (a watchpoint): its fault, not the vmspace's to map back
    if (this.space.isRestricted(pageAlignDown(page))) return { kind: 'watch', gpa: at, access, table: false };
    const r = this.client.fault(page, access, gva, this.site());
    this.count(r, access);
    if (r.kind !== 'mapped' && r.kind !== 'mmio') return nestedFault(r, page, access);
    if (gpt.translate(page, access, this.leaf) < 0)
      throw new InvariantError(`nested fault on ${hex(page)} (${access}) mapped nothing`);
    const faults = this.inFlight === null ? 0 : this.inFlight.noteFault();
    if (faults > this.stormLimit) return { kind: 'storm', gpa: page, access, faults };
    return this.pin(this.leaf);
  }

  /* The instruction in flight now holds the leaf's frame and its leaf table (see pinned-since-retire.ts). */
  private pin(leaf: TranslatedLeaf): TranslatedLeaf {
    const p = this.inFlight;
    if (p !== null) {
      p.pin(leaf.frame);
      p.pin((leaf.pte >>> 12) as Hfn);
    }
    return leaf;
  }

  /* A present leaf that grants the access: set A/D as hardware would, pick the rights to cache. */
  private hit(leaf: TranslatedLeaf, access: AccessKind, guestProt: number): Translation {
    this.markAccessed(leaf.pte, access === 'write');
    // leaf.dirty is the state before markAccessed: a read or fetch leaves it as it was.
    let prot = leaf.prot & guestProt;
    if (access !== 'write' && this.space.dirtyTracking && !leaf.dirty) prot &= ~PROT_WRITE;
    const out = this.granted;
    out.hpa = hfnToHpa(leaf.frame);
    out.prot = prot;
    return out;
  }

  /* A/D as hardware sets them; a Dirty bit it sets goes into the vCPU's PML log (ring mode). */
  private markAccessed(pte: Hpa, write: boolean): void {
    const dirtied = this.space.gpt.markAccessed(pte, write);
    if (dirtied !== NOT_DIRTIED) this.client.logDirty(dirtied, pte);
  }

  /* The instruction behind the fill, when an event will say so (no sink: nothing is read). */
  private site(): AccessSite | undefined {
    return this.sink === null ? undefined : this.opts.site?.();
  }

  private count(r: FaultResult | Orphaned, access: AccessKind): void {
    const f = this.counters.faults;
    f.total++;
    if (r.kind === 'mmio') f.mmio++;
    else f[access]++;
  }

  /* ---- the guest dimension ---- */

  /* The guest's walk of va (its nested misses served as nested faults), or the fault that stops it. */
  private guestWalk(paging: GuestPaging, va: Gva, access: AccessKind): WalkOk | TranslationFault {
    const user = this.opts.user?.() ?? false;
    this.counters.guestWalks++;
    return walkServingMisses(paging, this.guestPhys, va, access, user, this.serveTableMiss);
  }

  /*
   * Where the guest's table word at g lives in host RAM (a Uint32Array index), found through the
   * GPT as hardware finds it: the nested leaf gets Accessed, and Dirty too for a guest A/D update
   * (a write). A nested miss when the table page has no usable nested mapping.
   */
  private tableWord(g: Gpa, access: 'read' | 'write'): number | NestedMiss {
    const page = pageAlignDown(g);
    const leaf = this.tableLeaf;
    if (this.space.gpt.translate(page, access, leaf) < 0) return { kind: 'nested-miss', gpa: page, access };
    this.pin(leaf);
    this.markAccessed(leaf.pte, access === 'write');
    return (hfnToHpa(leaf.frame) + pageOffset(g)) >>> 2;
  }

  private readTable(g: Gpa, out: Word64): NestedMiss | null {
    const at = this.tableWord(g, 'read');
    if (typeof at !== 'number') return at;
    out.lo = this.u32[at];
    out.hi = this.u32[at + 1];
    return null;
  }

  private writeTable(g: Gpa, value: number): NestedMiss | null {
    const at = this.tableWord(g, 'write');
    if (typeof at !== 'number') return at;
    this.u32[at] = value >>> 0;
    return null;
  }
}
