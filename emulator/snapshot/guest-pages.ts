/*
 * One page of guest RAM by guest-physical address, read or written as a VMM saving or restoring
 * a VM does it: by the RAM object's page, not through the guest's tables or the nested ones.
 *
 *   page p of guest RAM (gpa = ramBase + p * 4096) holds its content in exactly one place:
 *
 *     its frame        the RAM object gave it a host frame: host RAM holds the truth (a swap copy
 *                      kept from an earlier swap-in may also exist; while the page has a frame
 *                      the frame wins)
 *     the swap store   swapped out under overcommit (mmu/vm/reclaim.ts): the store's copy
 *     nowhere          never touched: zeros, as its first touch would give it
 *
 * A read takes no frame, no hold and no nested entry, sets no Accessed or Dirty bit and counts no
 * swap-in (SwapStore.peek): the guest cannot tell it happened. Unlike the debugger's reader
 * (emulator/debug/debug-memory.ts) it goes by guest-physical page, and it sees swapped-out pages.
 *
 * A write puts the page's new content where the page lives:
 *
 *     frame            the bytes go into the frame, and a swap copy, no longer true, is dropped
 *                      (otherwise the next eviction would drop the frame as clean and lose them)
 *     shared frame     (same-page merging) the share is broken first, as a guest write breaks it:
 *                      the page's leaf goes, it gets a frame of its own with a copy, and the bytes
 *                      go there (mmu/vm/vmspace-merge.ts, ownFrameForWrite)
 *     swapped out      the store's copy is overwritten; the page stays out
 *     nowhere, zeros   nothing to do: the page already reads as zeros
 *     nowhere          the page takes its frame now (VmObject.frameAt, as the loader's pages do;
 *                      under overcommit that may evict another page, which then goes to the store)
 *
 * It marks nothing dirty, because the guest did not write (the loader's rule, NestedVm.writeRam).
 * Whoever writes code pages drops the engine's translated code for them.
 *
 * Invariants: each function touches one page of guest RAM and nothing outside it but the swap
 * store; an address outside guest RAM is null / false, never an exception.
 */
import { PAGE_SIZE, pageAlignDown, type Gpa } from '../../mmu/addr.js';
import { ownFrameForWrite } from '../../mmu/vm/vmspace-merge.js';
import type { NestedVm } from '../nested-vm.js';

/** Where a page's content was found. */
export type PageHome = 'frame' | 'swap' | 'zero';

/* The RAM object's page index of g, or -1 outside guest RAM. */
function pageIndex(vm: NestedVm, g: Gpa): number {
  const off = g - vm.opts.ramBase;
  return off < 0 || off >= vm.opts.memBytes ? -1 : Math.floor(off / PAGE_SIZE);
}

/** Copy the page holding `g` into `out` (PAGE_SIZE bytes); where it was, or null outside guest RAM. */
export function readGuestPage(vm: NestedVm, g: Gpa, out: Uint8Array): PageHome | null {
  const page = pageIndex(vm, g);
  if (page < 0) return null;
  const f = vm.ram.currentFrame(page * PAGE_SIZE);
  if (f !== -1) {
    out.set(vm.mem.frameBytes(f));
    return 'frame';
  }
  const swapped = vm.reclaimer.swappedContent(vm.ram.pagerIndex, page);
  if (swapped !== null) {
    out.set(swapped);
    return 'swap';
  }
  out.fill(0);
  return 'zero';
}

/** True when every byte of `bytes` is zero. */
export function isZeroPage(bytes: Uint8Array): boolean {
  if (bytes.byteOffset % 4 !== 0 || bytes.length % 4 !== 0) return bytes.every((b) => b === 0);
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  return true;
}

/**
 * Make the page holding `g` hold `bytes` (PAGE_SIZE of them); false outside guest RAM or when no
 * frame can be had for a page that needs one.
 */
export function writeGuestPage(vm: NestedVm, g: Gpa, bytes: Uint8Array): boolean {
  const page = pageIndex(vm, g);
  if (page < 0 || bytes.length !== PAGE_SIZE) return false;
  const id = vm.ram.pagerIndex;
  // a merged page gets its own frame first: the shared one holds other pages' content too
  let f = vm.ram.isSharedAt(page * PAGE_SIZE)
    ? ownFrameForWrite(vm.vmspace, pageAlignDown(g))
    : vm.ram.currentFrame(page * PAGE_SIZE);
  if (f === -1) {
    if (vm.reclaimer.isSwapped(id, page)) {
      vm.reclaimer.store.put(id, page, bytes);
      return true;
    }
    if (isZeroPage(bytes)) return true;
    f = vm.ram.frameAt(page * PAGE_SIZE);
    if (f === -1) return false;
  }
  vm.mem.frameBytes(f).set(bytes);
  if (id !== -1) vm.reclaimer.store.drop(id, page); // -1: no pager, so no swap copy to forget
  return true;
}
