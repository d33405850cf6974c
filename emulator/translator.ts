/*
 * The Translator: what the TLB-fill hook (our MMU "hardware") asks for every guest address that
 * misses in Unicorn's software TLB (DESIGN §1).
 *
 *   translate(va, access) -> { hpa, prot }    the host-physical page and the rights to cache
 *                         -> a fault value    the access cannot complete; the Machine stops
 *
 * `va` is the address as the guest issued it: guest-virtual while the guest pages, in which case
 * the translator walks the guest's own tables first, and equal to the guest-physical address
 * while guest paging is off. `prot` is what the fill caches: it may be narrower than the access
 * needs only for rights the access does not use (withholding write from a read fill makes the
 * first write come back as a write fill). A fault value names its kind: 'nomap', 'rights',
 * 'exhausted' and 'storm' come from the nested dimension, 'guest' from the guest's own tables.
 * Invariant: the result for a fetch includes PROT_EXEC, for a write PROT_WRITE, for a read
 * PROT_READ; otherwise it is a fault.
 *
 * Two translators implement it. NestedMmu (nested-mmu.ts) is the one a Machine uses by default:
 * the guest walk, then the nested page table, taking nested faults into the vmspace.
 * FixedOffsetTranslator, here, is what a Machine built with an injected translator or host memory
 * uses (tests do, to check the Machine apart from the nested layer): guest RAM at a fixed offset
 * in host RAM (guest-physical - ramBase + hostBase = host-physical) with every right, device
 * pages to their MMIO apertures (never executable), everything else a 'nomap' fault. It has no
 * page tables of its own and does not look at the guest's: `va` is taken as guest-physical.
 */
import { pageAlignDown, gpa, hpa, type Gpa, type Gva, type Hpa } from '../mmu/addr.js';
import type { GuestFault } from '../mmu/guest-walk/walk-result.js';
import { PROT_ALL, PROT_READ, PROT_WRITE, type AccessKind, type Prot } from '../mmu/prot.js';
import type { HoldFailure } from '../mmu/vm/vm-client.js';

export interface Translation {
  readonly hpa: Hpa;
  readonly prot: Prot;
}

export type TranslationFault =
  | { readonly kind: 'nomap'; readonly gpa: Gpa; readonly access: AccessKind }
  | { readonly kind: 'rights'; readonly gpa: Gpa; readonly access: AccessKind; readonly prot: Prot }
  /** A debugger's watched page (Vmspace.restrictPage): the exact guest-physical address, and
   * whether the guest's table walk made the access rather than the instruction. */
  | { readonly kind: 'watch'; readonly gpa: Gpa; readonly access: AccessKind; readonly table: boolean }
  /** Host memory ran out for a nested page table (even after stealing). */
  | { readonly kind: 'exhausted'; readonly gpa: Gpa; readonly access: AccessKind }
  /** `faults` nested faults in a row retired no instruction (the fault-storm guard; the last at gpa). */
  | { readonly kind: 'storm'; readonly gpa: Gpa; readonly access: AccessKind; readonly faults: number }
  /** The guest's own page tables refused the access: a guest page fault at `level`. */
  | {
      readonly kind: 'guest';
      readonly gva: Gva;
      readonly level: number;
      readonly reason: string;
      readonly access: AccessKind;
      /** x86 #PF error code, or the arm64 fault status code. */
      readonly code: number;
      readonly arch: 'x86_64' | 'arm64';
    };

export type TranslateResult = Translation | TranslationFault;

export interface Translator {
  /**
   * Translate the page holding `va` (any address in the page; the result is page-aligned). A
   * Translation may be a record the translator reuses (NestedMmu does, so a fill allocates
   * nothing): read it before the next translate, never keep it.
   */
  translate(va: Gva, access: AccessKind): TranslateResult;
}

export const isFault = (r: TranslateResult): r is TranslationFault => 'kind' in r;

/** The guest walker's page fault as the Machine reports it (the guest stops; Unicorn cannot deliver it). */
export const guestPageFault = (f: GuestFault): TranslationFault => ({
  kind: 'guest',
  gva: f.gva,
  level: f.level,
  reason: f.reason,
  access: f.access,
  code: f.code,
  arch: f.arch,
});

/**
 * A nested fault (or hold) that did not map the page, as the Machine reports it: 'rights' and
 * 'exhausted' keep their kind; no mapping, a device window where memory was wanted, and an
 * orphaned client are 'nomap'.
 */
export function nestedFault(r: HoldFailure, page: Gpa, access: AccessKind): TranslationFault {
  if (r.kind === 'rights') return { kind: 'rights', gpa: page, access, prot: r.prot };
  if (r.kind === 'exhausted') return { kind: 'exhausted', gpa: page, access };
  return { kind: 'nomap', gpa: page, access };
}

/** A device page: guest-physical window -> host-physical MMIO aperture. */
export interface DeviceWindow {
  readonly gpa: Gpa;
  readonly size: number;
  readonly hpa: Hpa;
}

export class FixedOffsetTranslator implements Translator {
  constructor(
    private readonly ramBase: Gpa,
    private readonly ramBytes: number,
    private readonly hostBase: Hpa,
    private readonly windows: readonly DeviceWindow[],
  ) {}

  translate(va: Gva, access: AccessKind): TranslateResult {
    const page = pageAlignDown(va as number);
    const off = page - this.ramBase;
    if (off >= 0 && off < this.ramBytes) return { hpa: hpa(this.hostBase + off), prot: PROT_ALL };
    for (const w of this.windows) {
      const d = page - w.gpa;
      if (d >= 0 && d < w.size) {
        // Device memory is never executable.
        if (access === 'exec')
          return { kind: 'rights', gpa: gpa(page), access, prot: PROT_READ | PROT_WRITE };
        return { hpa: hpa(w.hpa + d), prot: PROT_READ | PROT_WRITE };
      }
    }
    return { kind: 'nomap', gpa: gpa(page), access };
  }
}
