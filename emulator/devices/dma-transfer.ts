/*
 * One DMA transfer through page holds: what the nestvm-dma engine (dma.ts) does when the guest
 * writes its OP register. Kept apart from the register file so that it can be read (and tested)
 * as the one thing it is: a device touching guest memory the way DESIGN §3's PageHold says.
 *
 * Addresses are guest-PHYSICAL. A DMA engine sits on the bus, behind the guest's MMU: nothing
 * here walks the guest's page tables (semihosting buffers, which are guest-virtual, go through
 * HeldGuestMemory instead). Every page is reached through holdGuest, the devices' VmClient, which
 * maps the page in the nested tables first if the guest never touched it.
 *
 * The transfer advances in pieces. A piece never crosses a page boundary of the source nor of
 * the destination, so it lies inside one held source page and one held destination page:
 *
 *   src  |....page A....|....page B....|
 *   dst      |....page P....|....page Q....|
 *   piece    [  1  ][ 2 ][ 3 ][   4   ]        (a new hold is taken only when a piece enters
 *                                               a page not held yet: A, P, B, Q, ...)
 *
 * For each piece: hold the source page for read (copy, sum) if it is a new page, then the
 * destination page for write (copy, fill) if it is a new page, link each new hold into ONE chain,
 * then move the bytes through the holds' views on host RAM. When the transfer ends, however it
 * ends, the chain is released with one releaseChain(): releasing a write hold marks its page
 * dirty (the frame's modified attribute, and Dirty in the nested PTE while tracking is on), as a
 * hardware DMA write would.
 *
 * Deferred dirtying (fill). Fill takes its write holds with deferDirty, and lifts the deferral
 * (markDirty) on every one of them only once the whole transfer has stopped, just before the
 * chain goes back: the pattern of a device that writes a page in several bursts and reports it
 * written once. The marking itself still happens at release, so a dirty-log harvest that ran
 * between a burst and the release could not lose the write. Copy takes plain write holds.
 *
 * Errors are values. A page that is a hole ('nomap'), a device window ('mmio'), a mapping without
 * the right ('rights'), or a host failure ('exhausted', 'orphaned', no nested layer) stops the
 * transfer BEFORE the piece that needed it: the bytes of earlier pieces stay moved, nothing after
 * is touched, and the outcome names the page. Nothing here throws for anything the guest asks.
 *
 * Invariants: every hold taken is released exactly once, before transfer() returns; a write hold
 * is taken only for a piece that is then written (so exactly the pages written are marked dirty);
 * `done` counts the bytes moved (or read, for sum), in order from the start.
 */
import { PAGE_SIZE, gpa as toGpa, pageAlignDown, pageOffset } from '../../mmu/addr.js';
import { PROT_READ, PROT_WRITE } from '../../mmu/prot.js';
import type { PageHold } from '../../mmu/vm/page-hold.js';
import type { DeviceHost } from './device.js';

export type DmaOp = 'copy' | 'fill' | 'sum';

export interface DmaRequest {
  readonly op: DmaOp;
  /** Guest-physical source (copy, sum). */
  readonly src: number;
  /** Guest-physical destination (copy, fill). */
  readonly dst: number;
  readonly len: number;
  /** Fill byte (bits 7:0). */
  readonly value: number;
}

/** Why a transfer stopped early. */
export type DmaError = 'nomap' | 'device' | 'rights' | 'host';

export interface DmaOutcome {
  /** Bytes moved (copy, fill) or read (sum), from the start of the transfer. */
  readonly done: number;
  /** 32-bit sum of every byte read (copy, sum); 0 for fill. */
  readonly sum: number;
  /** Page holds taken (all released again). */
  readonly holds: number;
  /** null: all `len` bytes were transferred. */
  readonly error: DmaError | null;
  /** Guest-physical page that stopped the transfer (when error !== null). */
  readonly faultGpa: number;
}

/* The holds of one transfer, linked as one chain in the order taken. */
class HoldChain {
  private head: PageHold | null = null;
  private tail: PageHold | null = null;
  count = 0;

  add(h: PageHold): void {
    if (this.tail === null) this.head = h;
    else this.tail.chain(h);
    this.tail = h;
    this.count++;
  }

  releaseAll(): void {
    this.head?.releaseChain();
    this.head = this.tail = null;
  }
}

/* Take one hold, or say why not. */
function holdPage(host: DeviceHost, page: number, write: boolean, defer: boolean): PageHold | DmaError {
  if (host.holdGuest === undefined) return 'host';
  const h = host.holdGuest(
    toGpa(page),
    write ? PROT_WRITE : PROT_READ,
    write && defer ? { deferDirty: true } : {},
  );
  if ('bytes' in h) return h;
  switch (h.kind) {
    case 'nomap':
      return 'nomap';
    case 'mmio':
      return 'device';
    case 'rights':
      return 'rights';
    default:
      return 'host'; // exhausted, orphaned
  }
}

/** Run one transfer; every hold it takes is released before it returns. */
export function transfer(host: DeviceHost, req: DmaRequest): DmaOutcome {
  const reads = req.op !== 'fill';
  const writes = req.op !== 'sum';
  const defer = req.op === 'fill';
  const chain = new HoldChain();
  const deferred: PageHold[] = [];
  let src: PageHold | null = null;
  let dst: PageHold | null = null;
  let done = 0;
  let sum = 0;
  let error: DmaError | null = null;
  let faultGpa = 0;
  try {
    while (done < req.len) {
      const s = req.src + done;
      const d = req.dst + done;
      let n = req.len - done;
      if (reads) n = Math.min(n, PAGE_SIZE - pageOffset(s));
      if (writes) n = Math.min(n, PAGE_SIZE - pageOffset(d));
      if (reads && (src === null || src.gpa !== pageAlignDown(s))) {
        const h = holdPage(host, pageAlignDown(s), false, false);
        if (typeof h === 'string') {
          [error, faultGpa] = [h, pageAlignDown(s)];
          break;
        }
        chain.add(h);
        src = h;
      }
      if (writes && (dst === null || dst.gpa !== pageAlignDown(d))) {
        const h = holdPage(host, pageAlignDown(d), true, defer);
        if (typeof h === 'string') {
          [error, faultGpa] = [h, pageAlignDown(d)];
          break;
        }
        chain.add(h);
        if (defer) deferred.push(h);
        dst = h;
      }
      sum = (sum + piece(req, src, dst, s % PAGE_SIZE, d % PAGE_SIZE, n)) >>> 0;
      done += n;
    }
  } finally {
    for (const h of deferred) h.markDirty(); // fill: every deferred page was written
    chain.releaseAll();
  }
  return { done, sum, holds: chain.count, error, faultGpa };
}

/* Move one piece of n bytes inside the held pages; the byte sum of what it read. */
function piece(
  req: DmaRequest,
  src: PageHold | null,
  dst: PageHold | null,
  at: number,
  to: number,
  n: number,
): number {
  if (req.op === 'fill') {
    dst!.bytes.fill(req.value & 0xff, to, to + n);
    return 0;
  }
  const bytes = src!.bytes.subarray(at, at + n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += bytes[i];
  if (req.op === 'copy') dst!.bytes.set(bytes, to);
  return sum;
}
