/*
 * Guest RAM page by page, as a migration's VMM side sees it: which pages are populated, a page
 * sent from one Machine to another, one byte damaged on purpose, and a hash per page.
 *
 * A page is named by its index in guest RAM (page i is guest-physical ramBase + i * 4096). Its
 * content is read and written by the RAM object's page (emulator/snapshot/guest-pages.ts), never
 * through the nested tables, so reading has no side effect (no fault, no frame taken, no Accessed
 * or Dirty bit), and a written page takes its frame on the destination then and there; the
 * destination's guest still faults it into its own nested tables at its first touch, in whatever
 * format and host layout it was built with. A page without a frame has never been written and
 * reads as zeros; it is not "populated".
 *
 * Invariant: both Machines have the nested layer and are between slices (nothing here runs while
 * a vCPU does). Guest RAM must be fully backed (`assertBacked`): under overcommit a frame the
 * dirty log remembers as modified may already back another page, so the log would not say which
 * page was written.
 *
 * The page hash is 64 bits as two 32-bit FNV-1a lanes over the page's 1024 little-endian words
 * (the second lane starts from another basis and mixes each word rotated), printed as 16 hex
 * digits. A zero page has a fixed hash, so a page populated on one side only compares as it should.
 */
import { PAGE_SIZE, gpa, type Gpa } from '../../mmu/addr.js';
import { LAYOUT } from '../arch.js';
import type { Machine } from '../machine.js';
import type { NestedVm } from '../nested-vm.js';
import { readGuestPage, writeGuestPage } from '../snapshot/guest-pages.js';

/** The nested layer of a Machine a migration works on (an invariant: the CLI builds them so). */
export function nestedOf(m: Machine): NestedVm {
  if (m.vm === null) throw new Error('migration: a Machine without the nested layer');
  return m.vm;
}

/** Refuse a Machine whose guest RAM may be swapped out (its pages are not all in frames). */
export function assertBacked(m: Machine): void {
  if (nestedOf(m).overcommitted)
    throw new Error('migration: guest RAM is overcommitted (--host-mem below --mem)');
}

/** Pages of guest RAM. */
export const ramPages = (m: Machine): number => m.memBytes / PAGE_SIZE;

/** Guest-physical address of page i of guest RAM. */
export const pageGpa = (m: Machine, page: number): Gpa => gpa(LAYOUT[m.arch].ramBase + page * PAGE_SIZE);

/** Indexes of the pages that have a frame, ascending. */
export function populatedPages(m: Machine): number[] {
  const ram = nestedOf(m).ram;
  const out: number[] = [];
  for (let i = 0, n = ramPages(m); i < n; i++) if (ram.currentFrame(i * PAGE_SIZE) !== -1) out.push(i);
  return out;
}

/** A page's content now, copied into `buf` (zeros for a page with no frame). */
export function readPage(m: Machine, page: number, buf: Uint8Array): Uint8Array {
  readGuestPage(nestedOf(m), pageGpa(m, page), buf);
  return buf;
}

/** Make page i of `m` hold `bytes`, as the VMM writes it; false when no frame is left for it. */
export function writePage(m: Machine, page: number, bytes: Uint8Array): boolean {
  return writeGuestPage(nestedOf(m), pageGpa(m, page), bytes);
}

/** Copy page i from `src` to `dst` through `buf`; false when the destination has no frame left for it. */
export function sendPage(src: Machine, dst: Machine, page: number, buf: Uint8Array): boolean {
  return writePage(dst, page, readPage(src, page, buf));
}

/** Invert one byte of guest RAM, written as the VMM writes it (the planted damage of a test or --corrupt-page). */
export function flipByte(m: Machine, at: Gpa): void {
  const page = Math.floor((at - LAYOUT[m.arch].ramBase) / PAGE_SIZE);
  const bytes = readPage(m, page, new Uint8Array(PAGE_SIZE));
  bytes[at % PAGE_SIZE] ^= 0xff;
  if (!writeGuestPage(nestedOf(m), pageGpa(m, page), bytes))
    throw new Error(`migration: ${at} is not guest RAM`);
}

/* One FNV-1a lane step over a 32-bit word. */
const mix = (h: number, w: number): number => Math.imul(h ^ w, 0x01000193) >>> 0;

/** The 64-bit hash of a page's content, as 16 hex digits. */
export function pageHash(b: Uint8Array): string {
  const words = new Uint32Array(b.buffer, b.byteOffset, PAGE_SIZE / 4);
  let lo = 0x811c9dc5;
  let hi = 0x050c5d1f;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    lo = mix(lo, w);
    hi = mix(hi, (w << 13) | (w >>> 19));
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** The first page whose content differs between the two Machines (by hash), or null when all agree. */
export function firstDifferingPage(
  src: Machine,
  dst: Machine,
): { page: number; gpa: Gpa; src: string; dst: string } | null {
  const a = new Uint8Array(PAGE_SIZE);
  const b = new Uint8Array(PAGE_SIZE);
  const srcRam = nestedOf(src).ram;
  const dstRam = nestedOf(dst).ram;
  for (let i = 0, n = ramPages(src); i < n; i++) {
    const off = i * PAGE_SIZE;
    if (srcRam.currentFrame(off) === -1 && dstRam.currentFrame(off) === -1) continue; // zeros on both sides
    const ha = pageHash(readPage(src, i, a));
    const hb = pageHash(readPage(dst, i, b));
    if (ha !== hb) return { page: i, gpa: pageGpa(src, i), src: ha, dst: hb };
  }
  return null;
}
