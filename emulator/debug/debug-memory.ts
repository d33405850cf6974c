/*
 * Reading a machine's memory the way a debugger must: without side effects. This is the one
 * reader of guest memory that is not the guest: gdb's m, M and X and its monitor commands,
 * `nestvm xp` and `nestvm mem`, and the TUI's disassembly all read through it.
 *
 *   gva ──dry walk of the guest's own tables──► gpa ──vmspace mapping──► where the page is now
 *                                                                         │
 *      resident: its frame in host RAM (hpa) ◄────────────────────────────┤
 *      swapped out: its copy in the swap store, read in place ◄───────────┤
 *      untouched (no frame yet): zeros ◄──────────────────────────────────┘
 *
 *   - the guest walk is a dry run (no guest Accessed or Dirty bit is set), made with supervisor
 *     rights: a debugger sees kernel and user pages alike, whatever mode the vCPU is in;
 *   - every guest-physical address, each table entry the walk reads and the data, is located
 *     through the vmspace's MAPPINGS to the memory object's page, never through the GPT: a page
 *     the guest never touched, or whose frame was evicted, has no nested leaf, yet it has content,
 *     and a hardware walk of the GPT would set Accessed;
 *   - a page with no frame is never given one by a read: untouched it reads as the zeros its
 *     first touch would give it, swapped out as its copy in the store (SwapStore.peek, which
 *     counts nothing), so a read changes neither which pages are resident nor reclaim's counters;
 *   - device pages are never read or written (a device register read has effects of its own);
 *   - no page hold is taken, so none can leak; nothing is cached, so every call sees the tables as
 *     they are now.
 *
 * A write (gdb's M and X) is the VMM writing guest RAM, as the image loader does
 * (NestedVm.writeRam): every page it touches must be guest RAM, checked before the first byte is
 * written. A resident page is written in its frame. A page without one gets it through the
 * memory object's demand path (VmObject.frameAt: a zeroed frame from the reservoir, under
 * overcommit by evicting a victim the policy picks, and a swapped-out page is swapped in from the
 * store) -- what a hypervisor's debugger writing guest RAM does. No nested leaf is made, so the
 * guest's next touch is still a (minor) nested fault. The write marks the frame "written since
 * its swap copy" (ATTR_WRITTEN, page-attributes.ts), so reclaim never drops it as clean; it sets
 * no Dirty bit, since the guest did not write. Machine.debugWrite then drops translated code for
 * what was written.
 *
 * Invariants: reads change no page-table entry, hold, frame, counter or event; each failure is a
 * value (an unreadable address ends a read with its reason), never an exception.
 */
import {
  gpa as toGpa,
  gva as toGva,
  hex,
  hpa as toHpa,
  pageAlignDown,
  pageOffset,
  PAGE_SIZE,
} from '../../mmu/addr.js';
import type { Gpa, Gva, Hpa } from '../../mmu/addr.js';
import { InvariantError } from '../../mmu/checks.js';
import { ATTR_WRITTEN } from '../../mmu/host/page-attributes.js';
import {
  guestLevelName,
  nestedMiss,
  walkGuest,
  type GuestPaging,
  type GuestPhysAccess,
  type WalkResult,
} from '../../mmu/guest-walk/index.js';
import { forEachPage } from '../../mmu/page-pieces.js';
import { objectOffset, type VmMapping } from '../../mmu/vm/vm-mapping.js';
import type { NestedVm } from '../nested-vm.js';

export type Space = 'gva' | 'gpa' | 'hpa';
export const SPACES: readonly Space[] = ['gva', 'gpa', 'hpa'];

/** Where a guest-physical page's content is now. */
export type PageSource =
  | { readonly kind: 'frame'; readonly hpa: Hpa }
  | { readonly kind: 'swapped'; readonly page: Uint8Array }
  | { readonly kind: 'zero' };

/** One page's piece of a read: where its bytes came from in every space it went through. */
export interface ReadPiece {
  readonly addr: number;
  readonly len: number;
  readonly gpa: number | null;
  /** null for guest RAM with no host frame: its bytes are zeros, or its swap copy's (`swapped`). */
  readonly hpa: number | null;
  readonly swapped: boolean;
}

export interface SpaceRead {
  readonly space: Space;
  readonly addr: number;
  /** How many bytes were asked for. */
  readonly len: number;
  /** The bytes read, up to the first that could not be (then `stop` says why). */
  readonly bytes: Uint8Array;
  readonly pieces: readonly ReadPiece[];
  readonly stop: { readonly addr: number; readonly reason: string } | null;
}

const DRY_RUN = { dryRun: true } as const;
const NOT_RAM = (g: number) => `no guest RAM at gpa ${hex(g)} (a device window, or nothing mapped)`;

export class DebugMemory {
  /** The guest's tables as the dry walk reads them (through source(); never written). */
  readonly tables: GuestPhysAccess;

  constructor(
    private readonly vm: NestedVm,
    private readonly paging: () => GuestPaging | null,
  ) {
    this.tables = {
      read64: (g, out) => {
        const s = g % 8 === 0 ? this.source(toGpa(g)) : null;
        if (s === null) return nestedMiss(g, 'read');
        const pair = this.entryAt(s, pageOffset(g));
        out.lo = pair[0];
        out.hi = pair[1];
        return null;
      },
      write32: () => {
        throw new InvariantError('a side-effect-free read walked the guest tables with stores');
      },
    };
  }

  private entryAt(s: PageSource, off: number): [number, number] {
    if (s.kind === 'zero') return [0, 0];
    if (s.kind === 'frame') return [this.vm.mem.u32[s.hpa / 4], this.vm.mem.u32[s.hpa / 4 + 1]];
    const v = new DataView(s.page.buffer, s.page.byteOffset + off, 8);
    return [v.getUint32(0, true), v.getUint32(4, true)];
  }

  /* ---- translation ---- */

  /** The dry walk of a guest-virtual address through the guest's tables (supervisor rights). */
  walk(va: Gva): WalkResult {
    return walkGuest(this.paging(), this.tables, va, 'read', false, DRY_RUN);
  }

  /** The guest-physical address a guest-virtual one reaches now (itself while paging is off), or null. */
  gvaToGpa(va: Gva): Gpa | null {
    const w = this.walk(va);
    return w.kind === 'ok' ? w.gpa : null;
  }

  /** Why a dry walk gave no address, in one phrase. */
  walkFailure(w: Exclude<WalkResult, { kind: 'ok' }>): string {
    if (w.kind === 'nested-miss') return `its guest table at gpa ${hex(w.gpa)} is not in guest RAM`;
    const arch = this.paging()?.arch === 'arm64' ? 'arm64' : 'x86_64';
    return `guest page fault (${w.reason}) at ${guestLevelName(arch, w.level)}`;
  }

  private ramMapping(g: number): VmMapping | null {
    const m = this.vm.vmspace.findMapping(toGpa(pageAlignDown(g)));
    return m === null || m.object.isMmio ? null : m;
  }

  /**
   * Where the byte at guest-physical `g` is now (its frame's byte, its page's swap copy, or
   * zeros), or null for a device page or an address no RAM mapping covers. Takes nothing.
   */
  source(g: Gpa): PageSource | null {
    const m = this.ramMapping(g);
    if (m === null) return null;
    const off = objectOffset(m, g);
    const f = m.object.currentFrame(off);
    if (f !== -1) return { kind: 'frame', hpa: toHpa(f * PAGE_SIZE + pageOffset(g)) };
    const copy = this.vm.reclaimer.swappedContent(m.object.pagerIndex, Math.floor(off / PAGE_SIZE));
    return copy === null ? { kind: 'zero' } : { kind: 'swapped', page: copy };
  }

  /** The host-physical byte of a guest-physical address whose page has a frame now, else null. */
  gpaToHpa(g: Gpa): Hpa | null {
    const s = this.source(g);
    return s?.kind === 'frame' ? s.hpa : null;
  }

  /* ---- reads ---- */

  /* Where one page-bounded piece at `at` in `space` is, or why it cannot be read. */
  private locate(space: Space, at: number): { gpa: number | null; src: PageSource } | string {
    if (space === 'hpa')
      return at < this.vm.mem.bytes ? { gpa: null, src: { kind: 'frame', hpa: toHpa(at) } } : 'not host RAM';
    let g = at;
    if (space === 'gva') {
      const w = this.walk(toGva(at));
      if (w.kind !== 'ok') return this.walkFailure(w);
      g = w.gpa;
    }
    const src = this.source(toGpa(g));
    return src === null ? NOT_RAM(g) : { gpa: g, src };
  }

  /** Read `len` bytes at `addr` in `space`, page by page, up to the first that cannot be read. */
  readSpace(space: Space, addr: number, len: number): SpaceRead {
    const ram = this.vm.mem.u8;
    const out = new Uint8Array(len);
    const pieces: ReadPiece[] = [];
    let read = 0;
    const stop = forEachPage(addr, len, (at, done, n) => {
      const where = this.locate(space, at);
      if (typeof where === 'string') return { addr: at, reason: where };
      const s = where.src;
      if (s.kind === 'frame') {
        if (s.hpa + n > ram.length) return { addr: at, reason: 'not host RAM' };
        out.set(ram.subarray(s.hpa, s.hpa + n), done);
      } else if (s.kind === 'swapped') out.set(s.page.subarray(pageOffset(at), pageOffset(at) + n), done);
      // 'zero': out is zeroed already
      const hpa = s.kind === 'frame' ? s.hpa : null;
      pieces.push({ addr: at, len: n, gpa: where.gpa, hpa, swapped: s.kind === 'swapped' });
      read = done + n;
      return undefined;
    });
    return { space, addr, len, bytes: out.subarray(0, read), pieces, stop: stop ?? null };
  }

  /** `length` bytes at a guest-virtual address, or null when any page of it cannot be read. */
  read(va: number, length: number): Uint8Array | null {
    const r = this.readSpace('gva', va, length);
    return r.stop === null ? r.bytes : null;
  }

  /* ---- writes ---- */

  /**
   * Write bytes at a guest-virtual address (see the essay: a page without a frame gets one through
   * the demand path); false, with nothing written, when any page is not guest RAM, and false when
   * no frame can be had for a page (an overcommitted host with every frame pinned).
   */
  write(va: number, data: Uint8Array): boolean {
    const pieces: { m: VmMapping; g: number; done: number; n: number }[] = [];
    const missing = forEachPage(va, data.length, (at, done, n) => {
      const g = this.gvaToGpa(toGva(at));
      const m = g === null ? null : this.ramMapping(g);
      if (m === null) return true;
      pieces.push({ m, g: g!, done, n });
      return undefined;
    });
    if (missing) return false;
    for (const p of pieces) {
      const f = p.m.object.frameAt(objectOffset(p.m, p.g));
      if (f === -1) return false;
      this.vm.mem.u8.set(data.subarray(p.done, p.done + p.n), f * PAGE_SIZE + pageOffset(p.g));
      this.vm.pmap.setAttributes(f, ATTR_WRITTEN);
    }
    return true;
  }
}
