/*
 * The MMU "hardware": what the TLB-fill hook does with every guest address that misses in
 * Unicorn's software TLB (DESIGN §1). It is the Translator every Machine asks by default; the
 * Machine speaks only the Translator interface, so a test can put FixedOffsetTranslator in its
 * place (translator.ts), and the guest cannot tell which one it runs on.
 *
 *   va ──(guest paging on?)── guest walk (mmu/guest-walk) ──► gpa ──► GPT walk ──► hpa + rights
 *          every guest table read is itself a gpa that goes through the GPT (the 2-D walk);
 *          a table page with no nested mapping is a nested fault like any other.
 *
 * The nested step, for one gpa:
 *   1. gpt.translate(gpa, access): the leaf PTE's location if it is present and grants the access.
 *   2. hit:  set Accessed, and Dirty on a write (markAccessed: only when the format has hardware
 *            A/D, only when a bit actually changes). Cache the leaf's rights, but withhold write
 *            while dirty tracking is on and the leaf is clean, so the first write comes back here
 *            as a write fill and sets Dirty. No VM exit: the hardware does all of this.
 *   3. miss: a NESTED PAGE FAULT, i.e. a VM exit: the vCPU's client faults into the vmspace, which
 *            maps the page (memory object), maps the device aperture (MMIO object), or answers why
 *            not (no mapping, rights never granted, host memory exhausted). Then step 1 again.
 *
 * Invariants:
 *   - A translation is only ever returned from a PTE read out of host RAM at that moment; nothing is
 *     cached here. Unicorn's TLB is the only cache, and the generation protocol (Machine + VmClient)
 *     flushes it whenever a PTE loses rights.
 *   - The returned rights never exceed the leaf's rights, nor the guest's own rights for the page.
 *   - A fault loop is bounded: a page that still misses after a successful nested fault is a bug
 *     (InvariantError), never an endless loop.
 *   - No allocation on a hit with guest paging off; fill events are built only when the sink wants them.
 *   - A fill event says what the engine learns: its capacity refills are counted but not traced
 *     (refill-filter.ts says why), so two runs of one guest give the same trace.
 */
import { PAGE_SIZE, gpa as toGpa, hpa as toHpa, type Gpa, type Gva } from '../mmu/addr.js';
import { assert } from '../mmu/checks.js';
import type { EventSink } from '../mmu/events.js';
import {
  walkGuest,
  type GuestPaging,
  type GuestPhysAccess,
  type NestedMiss,
  type Word64,
} from '../mmu/guest-walk/index.js';
import { PROT_ALL, PROT_WRITE, type AccessKind } from '../mmu/prot.js';
import type { VmClient } from '../mmu/vm/vm-client.js';
import type { FaultResult, Orphaned } from '../mmu/vm/vm-results.js';
import type { Vmspace } from '../mmu/vm/vmspace.js';
import type { MachineEvent } from './events.js';
import { RefillFilter } from './refill-filter.js';
import {
  guestPageFault,
  type TranslateResult,
  type Translation,
  type TranslationFault,
  type Translator,
} from './translator.js';

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
  /** The guest's paging configuration now (null: paging off). Read on every fill. */
  readonly paging: () => GuestPaging | null;
  /** Whether the vCPU runs at user privilege now (x86 CPL 3, arm64 EL0). */
  readonly user?: () => boolean;
  readonly sink?: EventSink<MachineEvent>;
}

/* How often one fill may take a nested fault: the leaf, plus one per guest table level. */
const MAX_NESTED_FAULTS = 8;

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
  /* The guest's own tables, read through the nested translation (the second dimension). */
  private readonly guestPhys: GuestPhysAccess;
  private faultBudget = 0;
  private walkGpa = 0;
  private walkProt = 0;

  constructor(private readonly opts: NestedMmuOptions) {
    this.space = opts.vmspace;
    this.client = opts.client;
    this.u32 = opts.vmspace.mem.u32;
    this.sink = opts.sink?.enabled ? opts.sink : null;
    this.refills = this.sink ? new RefillFilter() : null;
    this.guestPhys = {
      read64: (g, out) => this.readTable(g, out),
      write32: (g, value) => this.writeTable(g, value),
    };
  }

  /** The fill: va as the guest issued it -> host-physical page and the rights Unicorn may cache. */
  translate(va: Gva, access: AccessKind): TranslateResult {
    this.counters.fills++;
    this.faultBudget = MAX_NESTED_FAULTS;
    const paging = this.opts.paging();
    let g = va as number;
    let guestProt = PROT_ALL;
    if (paging !== null) {
      const fault = this.guestWalk(paging, va, access);
      if (fault !== null) return fault;
      g = this.walkGpa;
      guestProt = this.walkProt;
    }
    const page = toGpa(g - (g % PAGE_SIZE));
    const pte = this.nested(page, access);
    if (typeof pte !== 'number') return pte;
    const r = this.hit(pte, access, guestProt);
    if (this.sink) this.traceFill(va - (va % PAGE_SIZE), page, access, r);
    return r;
  }

  /* The fill event, unless it only repeats what the engine was told since its last flush. */
  private traceFill(gvaPage: number, page: Gpa, access: AccessKind, r: Translation): void {
    if (!this.refills!.isNew(this.client.generation, gvaPage, page, r.hpa, r.prot)) return;
    this.sink!.emit({ type: 'fill', gva: gvaPage, gpa: page, access, hpa: r.hpa, prot: r.prot });
  }

  /* ---- the nested dimension ---- */

  /* The leaf PTE location for page, taking nested faults until it is there, or why it cannot be. */
  private nested(page: Gpa, access: AccessKind): number | TranslationFault {
    for (;;) {
      const pte = this.space.gpt.translate(page, access);
      if (pte >= 0) return pte;
      if (this.faultBudget-- <= 0) throw new Error(`nested fault loop at ${page}`);
      const r = this.client.fault(page, access);
      this.count(r, access);
      if (r.kind !== 'mapped' && r.kind !== 'mmio') return this.faultValue(r, page, access);
      assert(this.space.gpt.translate(page, access) >= 0, `nested fault on ${page} mapped nothing`);
    }
  }

  /* A present leaf that grants the access: set A/D as hardware would, pick the rights to cache. */
  private hit(pte: number, access: AccessKind, guestProt: number): Translation {
    const gpt = this.space.gpt;
    gpt.markAccessed(toHpa(pte), access === 'write');
    let prot = gpt.protAt(toHpa(pte)) & guestProt;
    if (access !== 'write' && this.space.dirtyTracking && !gpt.dirtyAt(toHpa(pte))) prot &= ~PROT_WRITE;
    return { hpa: toHpa(gpt.frameAt(toHpa(pte)) * PAGE_SIZE), prot };
  }

  private count(r: FaultResult | Orphaned, access: AccessKind): void {
    const f = this.counters.faults;
    f.total++;
    if (r.kind === 'mmio') f.mmio++;
    else f[access]++;
  }

  private faultValue(r: FaultResult | Orphaned, page: Gpa, access: AccessKind): TranslationFault {
    if (r.kind === 'rights') return { kind: 'rights', gpa: page, access, prot: r.prot };
    if (r.kind === 'exhausted') return { kind: 'exhausted', gpa: page, access };
    return { kind: 'nomap', gpa: page, access };
  }

  /* ---- the guest dimension ---- */

  /* Walk the guest's tables for va: null with walkGpa/walkProt set, or the fault that stops it. */
  private guestWalk(paging: GuestPaging, va: Gva, access: AccessKind): TranslationFault | null {
    const user = this.opts.user?.() ?? false;
    for (;;) {
      this.counters.guestWalks++;
      const r = walkGuest(paging, this.guestPhys, va, access, user);
      if (r.kind === 'ok') {
        this.walkGpa = r.gpa;
        this.walkProt = r.tlbProt;
        return null;
      }
      if (r.kind === 'guest-fault') return guestPageFault(r);
      // A guest table page with no usable nested mapping: a nested fault, then walk again.
      const miss = this.nested(r.cause.gpa, r.cause.access);
      if (typeof miss !== 'number') return miss;
    }
  }

  /*
   * Where the guest's table word at g lives in host RAM (a Uint32Array index), found through the
   * GPT as hardware finds it: the nested leaf gets Accessed, and Dirty too for a guest A/D update
   * (a write). A nested miss when the table page has no usable nested mapping.
   */
  private tableWord(g: Gpa, access: 'read' | 'write'): number | NestedMiss {
    const page = toGpa(g - (g % PAGE_SIZE));
    const pte = this.space.gpt.translate(page, access);
    if (pte < 0) return { kind: 'nested-miss', gpa: page, access };
    this.space.gpt.markAccessed(toHpa(pte), access === 'write');
    return (this.space.gpt.frameAt(toHpa(pte)) * PAGE_SIZE + (g % PAGE_SIZE)) >>> 2;
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
