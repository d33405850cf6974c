/*
 * Post-copy: the guest moves to the destination before its RAM has, and the RAM follows.
 *
 *   pre-copy   `after` rounds as usual (precopy.ts; 0: none), with no stop rule of its own
 *   switch     the source stops; only the vCPU, device and run state cross (handover.ts's
 *              transfer) and the list of pages not yet sent: what the last round left dirty, or,
 *              without a round, every populated page. No RAM page is sent while both sides are
 *              stopped: the downtime is zero pages. The destination's RAM object gets the pager
 *              (postcopy-pages.ts) as its supplier (mmu/vm/page-supplier.ts), and the guest
 *              resumes on the destination at once.
 *   post-copy  slice by slice: up to `bandwidth` pages leave the source, the destination runs one
 *              slice (a touch of a page still missing is a nested fault that the pager answers by
 *              a page request to the source, served at once), then the pushed pages land, each
 *              dropped if a request brought its page meanwhile. Once the guest has stopped, the
 *              push goes on without it until every page is there: the final RAM is whole.
 *   complete   no page missing: the supplier is detached, and the destination runs as any VM.
 *
 * Time is guest time, as in the pre-copy: the link carries `bandwidth` pages per slice of
 * `sliceInsns` destination instructions; a page request costs no guest time (it is served inside
 * the fault). "Instructions while missing" counts the slices that began with a page missing.
 * Nothing reads a clock, so the same guest and options give the same requests and pushes.
 *
 * Invariants: the source never runs again after the switch (its RAM is read only); the pager is
 * attached from the switch until the last page lands and detached then; the destination's
 * events get one `page-request` per request and one `postcopy-push` per slice that landed pages.
 */
import type { EventSink } from '../../mmu/events.js';
import type { MachineEvent } from '../events.js';
import type { Machine, StopReason } from '../machine.js';
import type { StateTransfer } from './handover.js';
import { PostcopyPages, type PostcopyCounts } from './postcopy-pages.js';
import { nestedOf, pageGpa, ramPages, readPage, writePage } from './ram-pages.js';

export interface PostcopyOptions {
  /** Pages pushed per slice of guest time. */
  readonly bandwidth: number;
  /** Destination instructions in one slice. */
  readonly sliceInsns: number;
}

/** The post-copy phase as the report gives it. */
export interface PostcopyRecord extends PostcopyCounts {
  /** RAM pages sent while both sides were stopped: always 0 for post-copy. */
  readonly switchPages: number;
  /** Guest instructions the source had run at the switch. */
  readonly atInstructions: number;
  /** Destination instructions run in slices that began with a page missing. */
  readonly insnsWhileMissing: number;
  /** Slices of the post-copy phase (the push's, with or without the guest running). */
  readonly slices: number;
  /** Whether the guest stopped on the destination before its last page arrived. */
  readonly guestEndedFirst: boolean;
}

/** What one step did: a slice of the post-copy, or its end (every page there). */
export type PostcopyStep =
  | { readonly kind: 'slice'; readonly missing: number }
  | { readonly kind: 'end'; readonly stop: StopReason | null };

export class Postcopy {
  readonly pages: PostcopyPages;
  readonly atInstructions: number;
  /** The destination's instruction count once the state is in. */
  readonly destinationStart: number;
  private insnsWhileMissing = 0;
  private slices = 0;
  private stop: StopReason | null = null;
  private endedFirst = false;
  private readonly sink: EventSink<MachineEvent> | undefined;

  /** The switch: transfer the state, attach the pager for `pending`, and let the destination go. */
  constructor(
    private readonly src: Machine,
    private readonly dst: Machine,
    pending: readonly number[],
    transfer: StateTransfer,
    private readonly opts: PostcopyOptions,
    sink?: EventSink<MachineEvent>,
  ) {
    const dstVm = nestedOf(dst);
    this.atInstructions = src.instructions;
    this.sink = sink;
    this.pages = new PostcopyPages(ramPages(dst), pending, {
      read: (page, out) => {
        readPage(src, page, out);
      },
      place: (page, bytes) => {
        if (!writePage(dst, page, bytes))
          throw new Error(`migration: the destination has no frame for page ${page}`);
      },
      frame: (f) => dstVm.mem.frameBytes(f),
      requested: (page) => {
        if (sink?.enabled) sink.emit({ type: 'page-request', page, gpa: pageGpa(dst, page) });
      },
    });
    transfer(src, dst);
    this.destinationStart = dst.instructions;
    if (!this.pages.done) dstVm.ram.attachSupplier(this.pages);
  }

  /** One slice: push up to `bandwidth` pages, run the destination a slice (while its guest runs), land them. */
  step(): PostcopyStep {
    if (this.pages.done) return { kind: 'end', stop: this.stop };
    this.pages.load(this.opts.bandwidth);
    if (this.stop === null) {
      const before = this.dst.instructions;
      this.stop = this.dst.runSlice(this.opts.sliceInsns);
      this.insnsWhileMissing += this.dst.instructions - before;
      if (this.stop !== null && !this.pages.done) this.endedFirst = true;
    }
    const was = this.pages.totals;
    this.pages.land();
    this.slices++;
    const now = this.pages.totals;
    if (this.sink?.enabled && now.pushed + now.discarded > was.pushed + was.discarded)
      this.sink.emit({
        type: 'postcopy-push',
        pushed: now.pushed - was.pushed,
        discarded: now.discarded - was.discarded,
        missing: now.missing,
      });
    if (!this.pages.done) return { kind: 'slice', missing: now.missing };
    nestedOf(this.dst).ram.detachSupplier();
    return { kind: 'end', stop: this.stop };
  }

  /** Step until every page is there; how the guest stopped meanwhile, or null when it still runs. */
  run(): StopReason | null {
    for (;;) {
      const s = this.step();
      if (s.kind === 'end') return s.stop;
    }
  }

  get record(): PostcopyRecord {
    return {
      ...this.pages.totals,
      switchPages: 0,
      atInstructions: this.atInstructions,
      insnsWhileMissing: this.insnsWhileMissing,
      slices: this.slices,
      guestEndedFirst: this.endedFirst,
    };
  }
}
