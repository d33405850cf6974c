/*
 * Lab `guestpt`: run the student's guest under one nested format and read back, with nestvm's
 * own walker, what its page tables say, while the Machine is still open.
 *
 * The guest runs inside the emulator under an instruction limit and a wall-clock limit, so it can
 * loop, fault or scribble over its own RAM without reaching the grader: every access it makes
 * goes through the nested paging layer. What is read afterwards:
 *
 *   stop      how the run ended (`hlt` with guest paging on is the only good end)
 *   per pair  the guest walk (dry run, no A/D stores) of gva + a fixed offset for a supervisor
 *             read (the mapping), a write, a fetch and a user read (the rights), and the
 *             Accessed and Dirty bits of the leaf the walk ended at
 *   writable  every present leaf of the guest's tables that a write could use (supervisor view:
 *             R/W at every level, or CR0.WP clear), found by a walk over the whole tree
 *
 * Guest tables are read straight from guest RAM (through the RAM object's frames), not through
 * the nested tables: a table page the hardware never walked has no nested entry, and the grader
 * must still see it.
 */
import {
  Machine,
  PAGE_SIZE,
  gpa as toGpa,
  gva as toGva,
  loadGuestBytes,
  nestedMiss,
  walkGuest,
  type FormatName,
  type GuestImage,
  type GuestPaging,
  type GuestPhysAccess,
  type NestedVm,
  type X86PagingConfig,
} from '../../index.js';
import type { Pair } from './pairs.js';

export const GUEST_MEM = 8 * 1024 * 1024;
export const MAX_INSNS = 5_000_000;
const TIMEOUT_MS = 20_000;
/** Offset within each page used for the walks: a wrong page size or a shifted frame shows. */
export const PROBE = 0xabc;
/** How many present entries the tree walk reads before it gives up. */
const TREE_BUDGET = 200_000;

export interface PairReport {
  /** The gpa a supervisor read of gva + PROBE translates to, or the guest fault's text. */
  readonly read: number | string;
  readonly write: boolean;
  readonly exec: boolean;
  readonly user: boolean;
  readonly accessed: boolean;
  readonly dirty: boolean;
}

export type FormatRun =
  /** stage 'load': the source did not assemble; 'run': the guest did not end well. */
  | { readonly ok: false; readonly stage: 'load' | 'run'; readonly problem: string }
  | {
      readonly ok: true;
      readonly pairs: readonly PairReport[];
      /** Writable leaves: gva (48-bit) and size; null when the tree was too big to list. */
      readonly writable: readonly { gva: number; size: number }[] | null;
    };

/** Guest RAM read directly, as the grader's GuestPhysAccess (read-only). */
function ramAccess(vm: NestedVm): GuestPhysAccess {
  return {
    read64(gpa, out) {
      if (gpa < 0 || gpa + 8 > GUEST_MEM) return nestedMiss(gpa, 'read');
      const at = vm.ram.frameAt(gpa - (gpa % PAGE_SIZE)) * PAGE_SIZE + (gpa % PAGE_SIZE);
      out.lo = vm.mem.u32[at / 4];
      out.hi = vm.mem.u32[at / 4 + 1];
      return null;
    },
    write32() {
      throw new Error('guestpt: the grader reads the guest tables without writing');
    },
  };
}

export async function runGuest(
  source: string,
  format: FormatName,
  pairs: readonly Pair[],
): Promise<FormatRun> {
  let image: GuestImage;
  try {
    image = await loadGuestBytes(new TextEncoder().encode(source), 'guestpt.s', {
      arch: 'x86_64',
      memBytes: GUEST_MEM,
    });
  } catch (err) {
    return {
      ok: false,
      stage: 'load',
      problem: (err instanceof Error ? err.message : String(err)).split('\n')[0],
    };
  }
  const machine = new Machine(image, {
    memBytes: GUEST_MEM,
    format,
    maxInsns: MAX_INSNS,
    timeoutMs: TIMEOUT_MS,
  });
  try {
    const stop = machine.run();
    if (stop.reason === 'limit' || stop.reason === 'timeout')
      return { ok: false, stage: 'run', problem: `the guest did not stop within ${MAX_INSNS} instructions` };
    if (stop.reason !== 'halt')
      return {
        ok: false,
        stage: 'run',
        problem: `the guest stopped with ${stop.reason}: ${stop.message ?? `status ${stop.code}`}`,
      };
    const paging = machine.guestPaging();
    if (paging === null || paging.arch !== 'x86_64')
      return { ok: false, stage: 'run', problem: 'the guest halted with paging off' };
    const mem = ramAccess(machine.vm!);
    return {
      ok: true,
      pairs: pairs.map((p) => pairReport(paging, mem, p)),
      writable: writableLeaves(paging.cfg, mem),
    };
  } finally {
    machine.close();
  }
}

function pairReport(paging: GuestPaging, mem: GuestPhysAccess, p: Pair): PairReport {
  const at = toGva(p.gva + PROBE);
  const walk = (access: 'read' | 'write' | 'exec', user: boolean) =>
    walkGuest(paging, mem, at, access, user, { dryRun: true });
  const read = walk('read', false);
  let accessed = false;
  let dirty = false;
  if (read.kind === 'ok') {
    const w = { lo: 0, hi: 0 };
    mem.read64(read.leaf, w);
    accessed = (w.lo & 0x20) !== 0;
    dirty = (w.lo & 0x40) !== 0;
  }
  return {
    read:
      read.kind === 'ok'
        ? read.gpa
        : read.kind === 'guest-fault'
          ? `guest page fault (${read.reason}) at level ${read.level}`
          : 'a table beyond guest RAM',
    write: walk('write', false).kind === 'ok',
    exec: walk('exec', false).kind === 'ok',
    user: walk('read', true).kind === 'ok',
    accessed,
    dirty,
  };
}

/* Every present leaf a supervisor write may use, over the whole tree (null past the budget). */
function writableLeaves(cfg: X86PagingConfig, mem: GuestPhysAccess): { gva: number; size: number }[] | null {
  const out: { gva: number; size: number }[] = [];
  let budget = TREE_BUDGET;
  const w = { lo: 0, hi: 0 };
  const visit = (table: number, level: number, base: number, rw: boolean): boolean => {
    const span = 2 ** (12 + 9 * (level - 1));
    for (let i = 0; i < 512; i++) {
      if (mem.read64(toGpa(table + i * 8), w) !== null) continue;
      if ((w.lo & 1) === 0) continue;
      if (--budget < 0) return false;
      const writable = rw && ((w.lo & 2) !== 0 || !cfg.wp);
      const leaf = level === 1 || ((level === 2 || level === 3) && (w.lo & 0x80) !== 0);
      if (leaf) {
        if (writable) out.push({ gva: base + i * span, size: span });
      } else if (!visit(addressOf(w.lo, w.hi), level - 1, base + i * span, writable)) return false;
    }
    return true;
  };
  return visit(cfg.cr3 - (cfg.cr3 % PAGE_SIZE), 4, 0, true) ? out : null;
}

/* Bits 51:12 of an entry, as a number. */
const addressOf = (lo: number, hi: number): number => (lo >>> 12) * PAGE_SIZE + (hi & 0xfffff) * 2 ** 32;
