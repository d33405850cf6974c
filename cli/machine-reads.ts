/*
 * Reading a machine's memory the way a debugger must: without side effects. What `nestvm xp` and
 * `nestvm mem` read, the TUI draws, and gdb's monitor commands print all come from here.
 *
 *   gva ──dry guest walk──► gpa ──vmspace mapping──► memory object's frame ──► host RAM (hpa)
 *
 * The rule: never the Machine's own guest-memory access (it takes page holds, faults pages in and
 * sets Accessed and Dirty bits), never the fill path. The guest's tables are walked as a dry run
 * (no A/D stores), each of their entries located through the vmspace's MAPPINGS to the memory
 * object's frame, not through the GPT: a page the guest never touched, or whose frame was evicted,
 * has no nested leaf, yet its contents are in its frame, and looking the GPT up as the hardware
 * does would set Accessed. Host RAM is then read in place. MMIO windows are never read (a device
 * register read has effects of its own).
 *
 * Invariants: no function here writes host RAM, the tables or the vmspace; each failure is a value
 * (an unreadable address ends the read with its reason), never an exception.
 */
import type { Machine } from '../emulator/machine.js';
import type { NestedVm } from '../emulator/nested-vm.js';
import { gpa as toGpa, gva as toGva, hex, pageAlignDown, pageOffset, PAGE_SIZE } from '../mmu/addr.js';
import { InvariantError } from '../mmu/checks.js';
import { guestLevelName, nestedMiss, walkGuest, type GuestPhysAccess } from '../mmu/guest-walk/index.js';
import type { WalkResult } from '../mmu/guest-walk/index.js';
import { forEachPage } from '../mmu/page-pieces.js';
import { objectOffset } from '../mmu/vm/vm-mapping.js';

export type Space = 'gva' | 'gpa' | 'hpa';
export const SPACES: readonly Space[] = ['gva', 'gpa', 'hpa'];

/** `hostAddressOf` for guest RAM whose page has no host frame yet (never touched: it reads as zeros). */
const NOT_BACKED = -2;

/**
 * Host-physical address of guest-physical `g` through the vmspace's mappings: -1 when no RAM is
 * there, NOT_BACKED when the page is RAM that has no frame yet. It never takes a frame (frameAt
 * would: demand allocation), so a read does not change what the guest uses.
 */
export function hostAddressOf(vm: NestedVm, g: number): number {
  const m = vm.vmspace.findMapping(toGpa(pageAlignDown(g)));
  if (m === null || m.object.isMmio) return -1;
  const f = m.object.currentFrame(objectOffset(m, g));
  return f === -1 ? NOT_BACKED : f * PAGE_SIZE + pageOffset(g);
}

/** The guest's tables as a dry-run walker reads them (host RAM through the mappings; no writes). */
export function dryTables(vm: NestedVm): GuestPhysAccess {
  return {
    read64: (g, out) => {
      const at = hostAddressOf(vm, g);
      if (at < 0 || at % 8 !== 0) return nestedMiss(g, 'read');
      out.lo = vm.mem.u32[at / 4];
      out.hi = vm.mem.u32[at / 4 + 1];
      return null;
    },
    write32: () => {
      throw new InvariantError('a side-effect-free read walked the guest tables with stores');
    },
  };
}

/** The guest-virtual address translated by a dry walk of the guest's tables at the vCPU's privilege. */
export function gvaToGpa(machine: Machine, va: number): WalkResult {
  const vm = nestedOf(machine);
  return walkGuest(machine.guestPaging(), dryTables(vm), toGva(va), 'read', machine.userMode(), {
    dryRun: true,
  });
}

/** Why a dry walk gave no address, in one phrase. */
export function walkFailure(machine: Machine, w: Exclude<WalkResult, { kind: 'ok' }>): string {
  if (w.kind === 'nested-miss') return `its guest table at gpa ${hex(w.gpa)} is not in guest RAM`;
  return `guest page fault (${w.reason}) at ${guestLevelName(machine.arch === 'arm64' ? 'arm64' : 'x86_64', w.level)}`;
}

function nestedOf(machine: Machine): NestedVm {
  if (machine.vm === null) throw new InvariantError('reading guest memory needs the nested paging layer');
  return machine.vm;
}

/** One page's piece of a read: where its bytes came from in every space it went through. */
export interface ReadPiece {
  readonly addr: number;
  readonly len: number;
  readonly gpa: number | null;
  /** null for guest RAM with no host frame yet (its bytes are zeros). */
  readonly hpa: number | null;
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

/* Where one page-bounded piece at `at` lives in host RAM, or why it cannot be read. */
function locate(
  machine: Machine,
  space: Space,
  at: number,
): { gpa: number | null; hpa: number | null } | string {
  const vm = nestedOf(machine);
  let g = at;
  if (space === 'hpa') return at < vm.mem.bytes ? { gpa: null, hpa: at } : 'not host RAM';
  if (space === 'gva') {
    const w = gvaToGpa(machine, at);
    if (w.kind !== 'ok') return walkFailure(machine, w);
    g = w.gpa;
  }
  const h = hostAddressOf(vm, g);
  if (h === NOT_BACKED) return { gpa: g, hpa: null };
  return h < 0 ? `no guest RAM at gpa ${hex(g)} (a device window, or nothing mapped)` : { gpa: g, hpa: h };
}

/** Read `len` bytes at `addr` in `space` without side effects, page by page, up to the first failure. */
export function readSpace(machine: Machine, space: Space, addr: number, len: number): SpaceRead {
  const ram = nestedOf(machine).mem.u8;
  const out = new Uint8Array(len);
  const pieces: ReadPiece[] = [];
  let read = 0;
  const stop = forEachPage(addr, len, (at, done, n) => {
    const where = locate(machine, space, at);
    if (typeof where === 'string') return { addr: at, reason: where };
    // a page with no frame yet reads as the zeros its first touch would give it (out is zeroed)
    if (where.hpa !== null) {
      if (where.hpa + n > ram.length) return { addr: at, reason: 'not host RAM' };
      out.set(ram.subarray(where.hpa, where.hpa + n), done);
    }
    pieces.push({ addr: at, len: n, gpa: where.gpa, hpa: where.hpa });
    read = done + n;
    return undefined;
  });
  return { space, addr, len, bytes: out.subarray(0, read), pieces, stop: stop ?? null };
}
