/*
 * GuestMemory: host-side reads and writes of guest memory through a Translator, page by page, for
 * a Machine WITHOUT the nested layer (one built with an injected translator or host memory).
 *
 * GuestMemoryAccess, below, is what the Machine's host-side users see: device models reading
 * guest buffers (DeviceHost.readGuest: semihosting), the arm64 vCPU fetching instruction words
 * (VcpuHost.fetchWord) and, without the nested layer, the image loader. A Machine with the nested
 * layer gives them HeldGuestMemory (held-memory.ts), which takes page holds on the vmspace
 * through the "devices" client, and loads the image through NestedVm.writeRam instead. Callers
 * cannot tell the two apart. GuestMemory asks the translator as the guest's own accesses do, so
 * it takes no holds and marks nothing dirty.
 *
 * Invariants: an access never crosses into memory that is not host RAM (a translation to an MMIO
 * aperture, or past the end of host RAM, is reported as a 'nomap' fault: devices do not read
 * devices); a failed access has no partial effect for reads, and writes stop at the first page
 * that does not translate.
 */
import { gpa, gva, pageAlignDown, pageOffset } from '../mmu/addr.js';
import { forEachPage, word32le } from '../mmu/page-pieces.js';
import { isFault, type TranslationFault, type Translator } from './translator.js';

/** Host-side access to guest memory by guest address; implemented with a translator or with holds. */
export interface GuestMemoryAccess {
  read(va: number, length: number): Uint8Array | TranslationFault;
  write(va: number, bytes: Uint8Array): TranslationFault | null;
  word32(va: number): number | null;
}

export class GuestMemory implements GuestMemoryAccess {
  constructor(
    private readonly translator: Translator,
    /** Host RAM as mapped at host-physical 0. */
    private readonly host: Uint8Array,
  ) {}

  /* The host RAM offset of the page piece holding `at`, or a fault. */
  private locate(at: number, n: number, access: 'read' | 'write'): number | TranslationFault {
    const r = this.translator.translate(gva(at), access);
    if (isFault(r)) return r;
    const src = r.hpa + pageOffset(at);
    if (src + n > this.host.length) return { kind: 'nomap', gpa: gpa(pageAlignDown(at)), access };
    return src;
  }

  /** `length` bytes at guest address `va`, or the fault of the first page that does not translate. */
  read(va: number, length: number): Uint8Array | TranslationFault {
    const out = new Uint8Array(length);
    const fault = forEachPage(va, length, (at, done, n) => {
      const src = this.locate(at, n, 'read');
      if (typeof src !== 'number') return src;
      out.set(this.host.subarray(src, src + n), done);
      return undefined;
    });
    return fault ?? out;
  }

  /** Write `bytes` at guest address `va`; null, or the fault of the first page that does not translate. */
  write(va: number, bytes: Uint8Array): TranslationFault | null {
    const fault = forEachPage(va, bytes.length, (at, done, n) => {
      const dst = this.locate(at, n, 'write');
      if (typeof dst !== 'number') return dst;
      this.host.set(bytes.subarray(done, done + n), dst);
      return undefined;
    });
    return fault ?? null;
  }

  /** The little-endian 32-bit word at `va` (an arm64 instruction), or null if it does not translate. */
  word32(va: number): number | null {
    return readWord32(this, va);
  }
}

/** GuestMemoryAccess.word32 for either implementation: four bytes read, as one little-endian word. */
export function readWord32(memory: GuestMemoryAccess, va: number): number | null {
  const b = memory.read(va, 4);
  return b instanceof Uint8Array ? word32le(b) : null;
}
