/*
 * Watchpoints the way a hypervisor makes them (DRAKVUF, and every "EPT hook" of a VM
 * introspection tool): not debug registers in the guest's CPU, but rights withheld in the NESTED
 * page table, which the guest can neither see nor change.
 *
 *   Z2 (write)   the watched page's nested leaf loses W
 *   Z3 (read)    it loses R and W (EPT cannot grant W without R), keeping X; nPT and nestvm's
 *   Z4 (access)  stage-2 leaves cannot refuse a read of a present page, so there the leaf goes
 *
 * The page is restricted in the vmspace (Vmspace.restrictPage), which moves the generation, so
 * Unicorn's TLB forgets the rights it had cached. The guest's next access that needs a withheld
 * right is a nested fault; the fill hook answers it as 'watch' instead of mapping the page back,
 * and the Machine pauses (emulator/debug/debug-pause.ts). The fault names a page, not the exact
 * bytes (the fill hook hears of whole pages), so the stub (run-control.ts) gives the page its
 * rights back and single-steps the instruction with its data accesses probed (Machine.trialStep),
 * the way a hypervisor reads the exit qualification of an EPT violation, and checks the exact
 * accesses against the watched ranges here (hitBy):
 *
 *   in a watched range, of the watched kind  a hit: gdb hears of it; on x86-64 after the access
 *                                           (the step stays done, as x86 debug registers trap
 *                                           after it); on AArch64 before it (the step is undone,
 *                                           as gdb expects there: it steps the access itself)
 *   anywhere else on the page, a table walk  not a hit: the rights go back for one single-stepped
 *                                           instruction, are withheld again, and the guest runs on
 *
 * A watchpoint names guest-virtual addresses; the guest-physical pages behind them are found when
 * it is set, through the tables of the thread gdb has selected (threads.ts; vCPU 0 by default), and
 * it then watches those pages for every vCPU (gdb sets watchpoints again every time it resumes the guest, so they follow the
 * guest's tables from one stop to the next). Every page a watch covers must be guest RAM that
 * translates now, else the watchpoint is refused (E16) and gdb says so.
 *
 * Invariants: a page is restricted exactly while some watch covers it; its rights are the
 * mapping's minus the union of what its watches withhold; suspend() gives every page its rights
 * back for the length of its body and withholds them again after, even if the body threw.
 */
import type { DataAccess } from '../../emulator/debug/machine-debug.js';
import type { Machine } from '../../emulator/machine.js';
import { gpa as toGpa, gva as toGva, pageAlignDown, type Gpa, type Gva } from '../../mmu/addr.js';
import { forEachPage } from '../../mmu/page-pieces.js';
import { PROT_ALL, PROT_READ, PROT_WRITE, type AccessKind, type Prot } from '../../mmu/prot.js';

/** A watchpoint as gdb asks for it: Z2 write, Z3 read, Z4 access. */
export interface WatchRequest {
  readonly type: 2 | 3 | 4;
  readonly gva: Gva;
  readonly length: number;
}

interface Watch extends WatchRequest {
  /** The pieces of the range, one per page: [gva, gva + n) reaches [gpa, gpa + n). */
  readonly pieces: readonly Piece[];
}

interface Piece {
  readonly gva: number;
  readonly gpa: number;
  readonly n: number;
}

/** A watchpoint an access hit: what gdb is told (the stop-reply word and the data address). */
export interface WatchHit {
  readonly word: string;
  readonly gva: number;
}

/** Longest range one watchpoint may cover. */
export const MAX_WATCH_BYTES = 4096;

const withheldBy = (type: 2 | 3 | 4): Prot => (type === 2 ? PROT_WRITE : PROT_READ | PROT_WRITE);
const kindMatches = (type: 2 | 3 | 4, access: AccessKind): boolean =>
  type === 4 ? access !== 'exec' : type === 2 ? access === 'write' : access === 'read';

/** The stop-reply word gdb reads for each kind. */
export const WATCH_WORD: Record<2 | 3 | 4, string> = { 2: 'watch', 3: 'rwatch', 4: 'awatch' };

export class Watches {
  private readonly list: Watch[] = [];

  constructor(
    private readonly machine: Machine,
    /** The vCPU whose tables a new watchpoint's addresses go through (gdb's selected thread). */
    private readonly cpu: () => number = () => 0,
  ) {}

  get count(): number {
    return this.list.length;
  }

  /** Set a watchpoint; null when set, else the error reply. */
  add(req: WatchRequest): string | null {
    const mem = this.machine.debug.cpu(this.cpu()).memory;
    const space = this.machine.vm?.vmspace;
    if (mem === null || space === undefined) return 'E16';
    if (req.length <= 0 || req.length > MAX_WATCH_BYTES) return 'E16';
    const pieces: Piece[] = [];
    const missing = forEachPage(req.gva, req.length, (at, _done, n) => {
      const g = mem.gvaToGpa(toGva(at));
      if (g === null || mem.source(g) === null) return true;
      pieces.push({ gva: at, gpa: g, n });
      return undefined;
    });
    if (missing) return 'E16';
    this.list.push({ ...req, pieces });
    this.rearm();
    return null;
  }

  /** Remove a watchpoint set with the same type, address and length. */
  remove(req: WatchRequest): boolean {
    const i = this.list.findIndex((w) => w.type === req.type && w.gva === req.gva && w.length === req.length);
    if (i < 0) return false;
    const [gone] = this.list.splice(i, 1);
    const space = this.machine.vm!.vmspace;
    for (const p of gone.pieces) space.relaxPage(toGpa(pageAlignDown(p.gpa)));
    this.rearm();
    return true;
  }

  clear(): void {
    while (this.list.length > 0) this.remove(this.list[0]);
  }

  /**
   * The watch one of an instruction's data accesses hit (probed by Machine.trialStep: exact
   * host-physical address and size), or null: the instruction only shared a watched page.
   */
  hitBy(accesses: readonly DataAccess[]): WatchHit | null {
    const mem = this.machine.debug.memory;
    if (mem === null) return null;
    for (const a of accesses)
      for (const w of this.list) {
        if (!kindMatches(w.type, a.write ? 'write' : 'read')) continue;
        for (const q of w.pieces) {
          const h = mem.gpaToHpa(toGpa(q.gpa));
          if (h === null || a.address >= h + q.n || a.address + a.size <= h) continue;
          return { word: WATCH_WORD[w.type], gva: q.gva + Math.max(0, a.address - h) };
        }
      }
    return null;
  }

  /** Run `body` with every watched page's rights given back. */
  suspend<T>(body: () => T): T {
    const space = this.machine.vm?.vmspace;
    if (space === undefined || this.list.length === 0) return body();
    for (const page of this.pages().keys()) space.relaxPage(page);
    try {
      return body();
    } finally {
      this.rearm();
    }
  }

  /* Withhold on every watched page the union of what its watches withhold. */
  private rearm(): void {
    const space = this.machine.vm?.vmspace;
    if (space === undefined) return;
    for (const [page, withheld] of this.pages()) space.restrictPage(page, PROT_ALL & ~withheld);
  }

  private pages(): Map<Gpa, Prot> {
    const out = new Map<Gpa, Prot>();
    for (const w of this.list)
      for (const p of w.pieces) {
        const page = toGpa(pageAlignDown(p.gpa));
        out.set(page, (out.get(page) ?? 0) | withheldBy(w.type));
      }
    return out;
  }
}
