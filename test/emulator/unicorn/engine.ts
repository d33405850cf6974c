// Test helper: a bare Unicorn engine in virtual-TLB mode with guest RAM at a fixed offset.
import { LAYOUT, type Arch } from '../../../emulator/arch.js';
import { UC_PROT_ALL, UC_TLB_VIRTUAL } from '../../../emulator/unicorn/constants.js';
import { Unicorn, type TlbEntryOut } from '../../../emulator/unicorn/unicorn.js';
import { MiB, code } from './guest.js';

export interface Fill {
  readonly va: number;
  readonly memType: number;
}

export interface TestEngine {
  readonly uc: Unicorn;
  readonly ram: ArrayBuffer;
  readonly base: number; // guest address of RAM (mapped at host-physical 0)
  readonly entry: number;
  readonly fills: Fill[];
  /** Per-page rights the fill hook grants (default: all). */
  readonly perms: Map<number, number>;
}

export async function engine(
  arch: Arch,
  source: string,
  opts: {
    jsCounting?: boolean;
    counter?: 'hook' | 'block';
    virtualTlb?: boolean;
    /** Rights to grant for a fill (default: `perms` for the page, else all). */
    grant?: (va: number, memType: number) => number;
  } = {},
): Promise<TestEngine> {
  const base = LAYOUT[arch].ramBase;
  const entry = LAYOUT[arch].defaultLoad;
  const ram = new ArrayBuffer(16 * MiB);
  new Uint8Array(ram).set(await code(arch, source, entry), entry - base);
  const uc = Unicorn.open(arch, undefined, { jsCounting: opts.jsCounting, counter: opts.counter });
  const fills: Fill[] = [];
  const perms = new Map<number, number>();
  if (opts.virtualTlb === false) {
    uc.mapPtr(base, ram, UC_PROT_ALL);
  } else {
    uc.setTlbMode(UC_TLB_VIRTUAL);
    uc.mapPtr(0, ram, UC_PROT_ALL);
    uc.hookTlbFill((va: number, memType: number, e: TlbEntryOut) => {
      fills.push({ va, memType });
      if (va < base || va >= base + ram.byteLength) return false;
      e.paddr = va - base;
      e.perms = opts.grant?.(va, memType) ?? perms.get(va) ?? UC_PROT_ALL;
      return true;
    });
  }
  uc.regWrite(arch === 'x86_64' ? 'rsp' : 'sp', base + ram.byteLength);
  return { uc, ram, base, entry, fills, perms };
}
