/*
 * The paging sample guests on the real Unicorn engine, with our walker as the MMU.
 *
 *   'walker'  Unicorn in virtual-TLB mode (as nestvm runs it), with a fill hook that translates
 *             through OUR walker (walkGuest) and an identity nested translation;
 *   'cpu'     Unicorn's own MMU (UC_TLB_CPU: QEMU's page-table walker), the reference for x86-64.
 *
 * x86-64: both runs must print the golden output and leave byte-identical guest page tables, so
 * every Accessed/Dirty bit our walker sets, QEMU's walker set too, and no other.
 * arm64: Unicorn 2.1.1's own arm64 MMU takes a prefetch abort (intno 3) on the first fetch after
 * SCTLR_EL1.M is set, with these same tables that boot on qemu-system-aarch64 (the golden output
 * was captured there), so it is no reference; the walker run must print the golden output, and
 * (TCR_EL1.HA = 0, every AF preset) must never store to the tables.
 *
 * Both also pin the flush behaviour the guests rely on: after an edit of a live entry, a CR3
 * reload (x86) and TLBI VMALLE1 + TTBR0 reload (arm64) make the engine ask the fill hook again
 * (otherwise the 'remapped' line would read the old page).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gva, type Gva } from '../../../mmu/addr.js';
import {
  arm64ConfigFromRegs,
  arm64MmuEnabled,
  walkGuest,
  walkTwoDimensional,
  x86ConfigFromRegs,
  x86PagingEnabled,
  type GuestPaging,
  type GuestPhysAccess,
} from '../../../mmu/guest-walk/index.js';
import type { AccessKind } from '../../../mmu/prot.js';
import { assemble } from '../../../emulator/asm/assemble.js';
import { Unicorn } from '../../../emulator/unicorn/unicorn.js';
import {
  UC_MEM_FETCH,
  UC_MEM_WRITE,
  UC_TLB_CPU,
  UC_TLB_VIRTUAL,
} from '../../../emulator/unicorn/constants.js';
import { OffsetNested } from '../../mmu/guest-walk/fakes.js';

type Arch = 'x86_64' | 'arm64';
const MiB = 1 << 20;

const GUEST = {
  x86_64: {
    path: 'guests/x86_64/paging.s',
    expected: 'guests/expected/paging-x86_64.txt',
    ramBase: 0,
    load: 0x10_0000,
    tables: [0x30_0000, 0x30_8000],
  },
  arm64: {
    path: 'guests/arm64/paging.s',
    expected: 'guests/expected/paging-arm64.txt',
    ramBase: 0x4000_0000,
    load: 0x4008_0000,
    tables: [0x4030_0000, 0x4030_9000],
  },
} as const;

interface Run {
  out: string;
  ram: Uint32Array;
  fills: number;
  stores: number;
  faults: string[];
  paging: GuestPaging | null;
}

function pagingState(uc: Unicorn, arch: Arch): GuestPaging | null {
  if (arch === 'x86_64') {
    const cr0 = uc.regRead('cr0');
    const cr4 = uc.regRead('cr4');
    const efer = uc.regRead('efer');
    if (!x86PagingEnabled(cr0, cr4, efer)) return null;
    return { arch, cfg: x86ConfigFromRegs(cr0, uc.regRead('cr3'), cr4, efer) };
  }
  const sctlr = uc.regRead('sctlr_el1');
  if (!arm64MmuEnabled(sctlr % 2 ** 32)) return null;
  const halves = (v: number) => ({ lo: (v % 2 ** 32) >>> 0, hi: Math.floor(v / 2 ** 32) });
  return {
    arch,
    cfg: arm64ConfigFromRegs(halves(uc.regRead('ttbr0_el1')), halves(uc.regRead('tcr_el1')), sctlr % 2 ** 32),
  };
}

async function run(arch: Arch, mode: 'cpu' | 'walker'): Promise<Run> {
  const g = GUEST[arch];
  const prog = await assemble(arch, readFileSync(g.path, 'utf8'), g.load, { origin: g.path });
  const entry = prog.symbols.find((s) => s.name === '_start')?.addr ?? g.load;
  const ram = new ArrayBuffer(16 * MiB);
  new Uint8Array(ram).set(prog.bytes, g.load - g.ramBase);
  const u32 = new Uint32Array(ram);
  const r: Run = { out: '', ram: u32, fills: 0, stores: 0, faults: [], paging: null };
  const uc = Unicorn.open(arch);
  try {
    uc.setTlbMode(mode === 'cpu' ? UC_TLB_CPU : UC_TLB_VIRTUAL);
    uc.mapPtr(g.ramBase, ram, 7);
    if (arch === 'x86_64') {
      uc.hookOut((port, _size, value) => {
        if (port === 0xe9) r.out += String.fromCharCode(value & 0xff);
      });
    } else {
      uc.mmioMap(
        0x0900_0000,
        0x1000,
        () => 0, // flag register: never TXFF
        (off, _size, value) => {
          if (off === 0) r.out += String.fromCharCode(value & 0xff);
        },
      );
    }
    uc.hookIntr((intno) => {
      if (!(arch === 'arm64' && intno === 1)) r.faults.push(`intr ${intno}`); // arm64 hvc = PSCI off
      uc.emuStop();
    });
    // guest RAM at its guest-physical address; nested translation is the identity here
    const mem: GuestPhysAccess = {
      read64(a, out) {
        const i = (a - g.ramBase) / 4;
        out.lo = u32[i];
        out.hi = u32[i + 1];
        return null;
      },
      write32(a, v) {
        r.stores++;
        u32[(a - g.ramBase) / 4] = v >>> 0;
        return null;
      },
    };
    if (mode === 'walker') {
      uc.hookTlbFill((vaddr, memType, e) => {
        r.fills++;
        const access: AccessKind =
          memType === UC_MEM_WRITE ? 'write' : memType === UC_MEM_FETCH ? 'exec' : 'read';
        const w = walkGuest(pagingState(uc, arch), mem, gva(vaddr), access, false);
        if (w.kind !== 'ok') {
          r.faults.push(JSON.stringify(w));
          return false;
        }
        e.paddr = w.gpa; // the full address: the engine keeps the bits of its own page size
        e.perms = w.tlbProt;
        return true;
      });
    }
    uc.regWrite(arch === 'x86_64' ? 'rip' : 'pc', entry);
    const err = uc.emuStart(entry, 0, 0, 2_000_000);
    if (err !== 0) r.faults.push(`uc error ${err}: ${uc.strerror(err)}`);
    r.paging = pagingState(uc, arch);
  } finally {
    uc.close();
  }
  return r;
}

const tableWords = (arch: Arch, r: Run) => {
  const [from, to] = GUEST[arch].tables;
  const base = GUEST[arch].ramBase;
  return r.ram.slice((from - base) / 4, (to - base) / 4);
};

describe('paging sample guest (x86_64)', () => {
  it('prints the golden output under Unicorn own MMU and under our walker, leaving identical tables', async () => {
    const expected = readFileSync(GUEST.x86_64.expected, 'utf8');
    const cpu = await run('x86_64', 'cpu');
    const ours = await run('x86_64', 'walker');
    expect(cpu.faults).toEqual([]);
    expect(ours.faults).toEqual([]);
    expect(cpu.out).toBe(expected);
    expect(ours.out).toBe(expected);
    expect(ours.fills).toBeGreaterThan(0);
    expect(ours.stores).toBeGreaterThan(0); // Accessed and Dirty were set by our walker
    const a = tableWords('x86_64', cpu);
    const b = tableWords('x86_64', ours);
    const differ = [...a.keys()].filter((i) => a[i] !== b[i]).slice(0, 5);
    expect(differ.map((i) => [GUEST.x86_64.tables[0] + i * 4, a[i], b[i]])).toEqual([]);
  });
});

describe('paging sample guest (arm64)', () => {
  it('prints the golden output (captured on qemu-system-aarch64) under our walker, storing nothing', async () => {
    const ours = await run('arm64', 'walker');
    expect(ours.faults).toEqual([]);
    expect(ours.out).toBe(readFileSync(GUEST.arm64.expected, 'utf8'));
    expect(ours.fills).toBeGreaterThan(0);
    expect(ours.stores).toBe(0);
  });
});

describe.each(['x86_64', 'arm64'] as const)('paging sample guest (%s) tables', (arch) => {
  it('its final tables give a 24-reference two-dimensional walk for the high page', async () => {
    const r = await run(arch, 'walker');
    expect(r.paging).not.toBeNull();
    const base = GUEST[arch].ramBase;
    // a nested translation at an offset, over a copy of the guest's final RAM
    const n = new OffsetNested(base, 16 * MiB, 0x100_0000 - base);
    n.host.u32.set(r.ram, 0x100_0000 / 4);
    const w = walkTwoDimensional(r.paging, gva(0x7f00_0000_0000) as Gva, 'read', false, n, n.host);
    expect(w.refs.length).toBe(24);
    expect(w.guest).toMatchObject({ kind: 'ok', gpa: base + 0x40_1000 });
    expect(w.final?.hpa).toBe(0x100_0000 + 0x40_1000);
  });
});
