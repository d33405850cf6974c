/*
 * HeldGuestMemory: host-side reads and writes of guest memory as a device model makes them, with
 * page holds on the vmspace (DESIGN §3, the seed's vm_page). It has GuestMemory's interface, so
 * the devices and the loader that use it do not know which one they have.
 *
 * One access:
 *   1. guest-virtual -> guest-physical: while the guest pages, its own tables are walked as a dry
 *      run (a device reading a buffer the guest handed it must not set the guest's A/D bits);
 *      a guest table page without a nested mapping is faulted in through this client;
 *   2. every page the access touches is held through this client (read or write), the holds are
 *      chained, the bytes are copied through the holds' views on host RAM, and the chain is
 *      released: a write hold's release marks its page dirty, as a DMA write would.
 *
 * Invariants: holds never outlive one call; a failed access releases what it took and has no
 * effect for reads (writes are checked page by page before anything is copied); device apertures
 * are never held (a hold on an MMIO page answers 'mmio', reported as 'nomap' to the caller).
 */
import { pageAlignDown, pageOffset, gpa as toGpa, gva as toGva } from '../mmu/addr.js';
import { forEachPage } from '../mmu/page-pieces.js';
import {
  gptNestedWalker,
  nestedGuestAccess,
  type GuestPaging,
  type GuestPhysAccess,
} from '../mmu/guest-walk/index.js';
import { PROT_READ, PROT_WRITE, type AccessKind } from '../mmu/prot.js';
import type { PageHold } from '../mmu/vm/page-hold.js';
import type { VmClient } from '../mmu/vm/vm-client.js';
import type { Vmspace } from '../mmu/vm/vmspace.js';
import { readWord32, type GuestMemoryAccess } from './guest-memory.js';
import { walkServingMisses, type ServeMiss } from './serving-walk.js';
import { nestedFault, type TranslationFault } from './translator.js';

const DRY_RUN = { dryRun: true } as const;

export class HeldGuestMemory implements GuestMemoryAccess {
  private readonly tables: GuestPhysAccess;

  /* A guest table page with no nested leaf: fault it in through this client (a dry run only reads). */
  private readonly serveTableMiss: ServeMiss = (miss) => {
    const f = this.client.fault(miss.gpa, 'read');
    return f.kind === 'mapped' ? null : nestedFault(f, miss.gpa, 'read');
  };

  constructor(
    private readonly space: Vmspace,
    private readonly client: VmClient,
    private readonly paging: () => GuestPaging | null,
  ) {
    // The guest's tables, read through the nested tables without faults or A/D (dry runs never write).
    this.tables = nestedGuestAccess(gptNestedWalker(space.gpt), space.mem);
  }

  read(va: number, length: number): Uint8Array | TranslationFault {
    const out = new Uint8Array(length);
    const r = this.withHolds(va, length, 'read', (h, at, done, n) =>
      out.set(h.bytes.subarray(at, at + n), done),
    );
    return r ?? out;
  }

  write(va: number, bytes: Uint8Array): TranslationFault | null {
    return this.withHolds(va, bytes.length, 'write', (h, at, done, n) =>
      h.bytes.set(bytes.subarray(done, done + n), at),
    );
  }

  word32(va: number): number | null {
    return readWord32(this, va);
  }

  /* Hold every page of [va, va + length) as a chain, run `copy` per page piece, release the chain. */
  private withHolds(
    va: number,
    length: number,
    access: 'read' | 'write',
    copy: (h: PageHold, at: number, done: number, n: number) => void,
  ): TranslationFault | null {
    const pieces: { hold: PageHold; at: number; done: number; n: number }[] = [];
    try {
      const fault = forEachPage(va, length, (at, done, n) => {
        const g = this.toGpa(at, access);
        if (typeof g !== 'number') return g;
        const h = this.client.hold(toGpa(g), access === 'write' ? PROT_WRITE : PROT_READ);
        if (!('bytes' in h)) return nestedFault(h, toGpa(pageAlignDown(g)), access);
        pieces.at(-1)?.hold.chain(h);
        pieces.push({ hold: h, at: pageOffset(g), done, n });
        return undefined;
      });
      if (fault !== undefined) return fault;
      for (const p of pieces) copy(p.hold, p.at, p.done, p.n);
      return null;
    } finally {
      pieces[0]?.hold.releaseChain();
    }
  }

  /* Guest-virtual -> guest-physical without side effects on the guest's tables. */
  private toGpa(va: number, access: AccessKind): number | TranslationFault {
    const paging = this.paging();
    if (paging === null) return va;
    const r = walkServingMisses(paging, this.tables, toGva(va), access, false, this.serveTableMiss, DRY_RUN);
    return r.kind === 'ok' ? r.gpa : r;
  }
}
