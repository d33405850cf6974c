/*
 * A debugger's view of guest memory: reads and writes by guest-virtual address, as a gdbstub or a
 * hypervisor's introspection makes them, with no side effect on the machine.
 *
 *   gva ──dry walk of the guest's own tables──► gpa ──resolve──► host RAM byte, read or written
 *
 *   - the guest walk is a dry run (no guest Accessed or Dirty bit is set), made with supervisor
 *     rights (a debugger sees kernel and user pages alike);
 *   - every guest-physical address, each table the walk reads and the data page, is resolved
 *     through the GPT first, with the side-effect-free walker (mmu/guest-walk/gpt-nested.ts: no
 *     nested Accessed or Dirty bit is set), and, when the GPT has no leaf for the page yet (never
 *     touched, or evicted), through the vmspace's mapping to its memory object's frame, so a
 *     page the guest has not touched reads as what it holds, without a nested fault (a page with
 *     no frame yet gets its demand-zero frame, except on an overcommitted host, where taking one
 *     could evict another page: there it does not resolve);
 *   - device pages are never read or written (a debugger must not make an MMIO access);
 *   - no page hold is taken, so none can leak; nothing is cached, so every call sees the
 *     tables as they are now.
 *
 * A write goes straight to host RAM, like the image loader's (NestedVm.writeRam): it marks
 * nothing dirty, because the guest did not write. The caller drops translated code for what it
 * wrote (Machine.debugWrite), so a patched instruction is what runs next.
 *
 * Invariants: no method changes a page-table entry, a hold, a counter or the event stream; an
 * access that meets an unresolvable page does nothing (read: null; write: false, checked before
 * the first byte is written).
 */
import {
  hpa as toHpa,
  gpa as toGpa,
  gva as toGva,
  pageAlignDown,
  pageOffset,
  PAGE_SIZE,
} from '../../mmu/addr.js';
import type { Gpa, Gva, Hpa } from '../../mmu/addr.js';
import { forEachPage } from '../../mmu/page-pieces.js';
import {
  gptNestedWalker,
  nestedMiss,
  walkGuest,
  type GuestPaging,
  type GuestPhysAccess,
  type NestedWalker,
} from '../../mmu/guest-walk/index.js';
import { objectOffset } from '../../mmu/vm/vm-mapping.js';
import type { NestedVm } from '../nested-vm.js';

const DRY_RUN = { dryRun: true } as const;

export class DebugMemory {
  private readonly nested: NestedWalker;
  private readonly tables: GuestPhysAccess;

  constructor(
    private readonly vm: NestedVm,
    private readonly paging: () => GuestPaging | null,
  ) {
    this.nested = gptNestedWalker(vm.vmspace.gpt);
    this.tables = {
      read64: (g, out) => {
        const at = this.gpaToHpa(g);
        if (at === null || at % 8 !== 0) return nestedMiss(g, 'read');
        out.lo = vm.mem.u32[at / 4];
        out.hi = vm.mem.u32[at / 4 + 1];
        return null;
      },
      write32: () => {
        throw new Error('the debugger walks the guest tables as a dry run only');
      },
    };
  }

  /** The guest-physical address a guest-virtual one reaches now (itself while paging is off), or null. */
  gvaToGpa(va: Gva): Gpa | null {
    const w = walkGuest(this.paging(), this.tables, va, 'read', false, DRY_RUN);
    return w.kind === 'ok' ? w.gpa : null;
  }

  /**
   * The host-physical byte of a guest-physical address, through the GPT's leaf, else the mapping's
   * frame; null for a device page or an address no RAM mapping covers. A page with no frame yet
   * (never touched) takes its frame now, as the loader's write would: every guest frame is set
   * aside at start, so that changes only which frame it is. An overcommitted host is different:
   * there a frame may have to be taken from another page, so a page without one does not resolve.
   */
  gpaToHpa(g: Gpa): Hpa | null {
    const mapping = this.vm.vmspace.findMapping(toGpa(pageAlignDown(g)));
    if (mapping === null || mapping.object.isMmio) return null;
    const w = this.nested.walk(g, 'read');
    if (w.hpa !== undefined) return w.hpa;
    const off = objectOffset(mapping, g);
    const frame = this.vm.overcommitted ? mapping.object.currentFrame(off) : mapping.object.frameAt(off);
    return frame === -1 ? null : toHpa(frame * PAGE_SIZE + pageOffset(g));
  }

  /** The host-physical byte behind a guest-virtual address now, or null. */
  gvaToHpa(va: Gva): Hpa | null {
    const g = this.gvaToGpa(va);
    return g === null ? null : this.gpaToHpa(g);
  }

  /** `length` bytes at a guest-virtual address, or null when any page of it does not resolve. */
  read(va: number, length: number): Uint8Array | null {
    const out = new Uint8Array(length);
    const bytes = this.vm.mem.u8;
    const missing = forEachPage(va, length, (at, done, n) => {
      const h = this.gvaToHpa(toGva(at));
      if (h === null) return true;
      out.set(bytes.subarray(h, h + n), done);
      return undefined;
    });
    return missing ? null : out;
  }

  /** Write bytes at a guest-virtual address; false (nothing written) when any page does not resolve. */
  write(va: number, data: Uint8Array): boolean {
    const pieces: { h: number; done: number; n: number }[] = [];
    const missing = forEachPage(va, data.length, (at, done, n) => {
      const h = this.gvaToHpa(toGva(at));
      if (h === null) return true;
      pieces.push({ h, done, n });
      return undefined;
    });
    if (missing) return false;
    for (const p of pieces) this.vm.mem.u8.set(data.subarray(p.done, p.done + p.n), p.h);
    return true;
  }
}
