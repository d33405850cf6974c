/*
 * Pre-copy: the guest keeps running on the source while its RAM is copied to the destination,
 * round by round, each round resending what the guest dirtied while the previous one was sent.
 *
 * Time is guest time. One slice is `sliceInsns` guest instructions on the source, and the link
 * carries `bandwidth` pages per slice: each step of the loop sends up to `bandwidth` pages of the
 * round's queue, then runs the source for one slice. So a round of q pages lasts ceil(q /
 * bandwidth) slices (at least one), and a guest that dirties pages faster than the link carries
 * them never converges, as on a real link.
 *
 *   round 0      the queue is every populated page (the dirty log is harvested first, so what the
 *                loader or the guest wrote before is not counted again)
 *   round r > 0  the queue is what the harvest at the end of round r - 1 found dirty: the pages
 *                the guest wrote while round r - 1 was being sent
 *   end          after a round's harvest, when fewer than `downtimePages` pages are dirty
 *                (converged) or `maxRounds` rounds have run (not converged), the loop is over and
 *                the stop-and-copy sends what is left (handover.ts)
 *
 * A page is read when it is sent, so a page written after it was sent in the same round goes
 * again next round (its write is in the harvest), and a page written before its turn goes once
 * with its newest content and once more next round, as QEMU's pre-copy does too.
 *
 * The loop is a stepper (`step()` is one slice) so that the TUI can draw between slices; `run()`
 * steps to the end. It never reads a clock: the same guest and options give the same rounds.
 * Invariant: the source's dirty tracking is on (the caller checks), and the destination does not
 * run until the hand-over.
 */
import { PAGE_SIZE } from '../../mmu/addr.js';
import type { Machine, StopReason } from '../machine.js';
import { populatedPages, sendPage } from './ram-pages.js';

export interface PrecopyOptions {
  /** Pages sent per slice of guest time. */
  readonly bandwidth: number;
  /** Guest instructions in one slice. */
  readonly sliceInsns: number;
  /** Stop-and-copy once fewer pages than this are dirty after a round. */
  readonly downtimePages: number;
  /** Stop-and-copy after this many rounds at the latest (round 0 included). */
  readonly maxRounds: number;
}

/** One round, as the report prints it. */
export interface RoundRecord {
  readonly round: number;
  /** Pages sent during the round. */
  readonly sent: number;
  /** Pages the guest dirtied while the round was sent. */
  readonly dirtied: number;
  /** Guest instructions the source ran during the round. */
  readonly insns: number;
  /** Dirty rate: pages dirtied per million guest instructions. */
  readonly rate: number;
  /** Pages left to send when the round ended (the next round's queue, or the stop-and-copy's). */
  readonly remaining: number;
}

/** How the pre-copy ended. */
export type PrecopyEnd =
  | { readonly kind: 'converged' | 'max-rounds'; readonly remaining: readonly number[] }
  /** The guest stopped on the source before the hand-over (its own end, or a fault). */
  | { readonly kind: 'source-stopped'; readonly stop: StopReason };

/** What one step did: a slice inside a round, a round just ended, or the end. */
export type PrecopyStep =
  | { readonly kind: 'slice'; readonly round: number; readonly sentSoFar: number; readonly queued: number }
  | { readonly kind: 'round'; readonly record: RoundRecord }
  | { readonly kind: 'end'; readonly end: PrecopyEnd };

export class Precopy {
  readonly rounds: RoundRecord[] = [];
  private round = 0;
  private queue: readonly number[] = [];
  private next = 0;
  private roundStart = 0;
  private end: PrecopyEnd | null = null;
  private started = false;
  private readonly buf = new Uint8Array(PAGE_SIZE);

  constructor(
    private readonly src: Machine,
    private readonly dst: Machine,
    private readonly opts: PrecopyOptions,
  ) {}

  /** Pages sent so far in the round not yet closed (a pre-copy cut short by the guest's own end). */
  get sentInOpenRound(): number {
    return this.next;
  }

  /** One slice: send up to `bandwidth` pages, run the source one slice, and close the round when its queue is sent. */
  step(): PrecopyStep {
    if (this.end !== null) return { kind: 'end', end: this.end };
    if (!this.started) this.begin();
    const upTo = Math.min(this.queue.length, this.next + this.opts.bandwidth);
    for (; this.next < upTo; this.next++) {
      if (!sendPage(this.src, this.dst, this.queue[this.next], this.buf))
        throw new Error(`migration: the destination has no frame for page ${this.queue[this.next]}`);
    }
    const stop = this.src.runSlice(this.opts.sliceInsns);
    if (stop !== null) return this.finish({ kind: 'source-stopped', stop });
    if (this.next < this.queue.length)
      return { kind: 'slice', round: this.round, sentSoFar: this.next, queued: this.queue.length };
    return this.closeRound();
  }

  /** Step until the pre-copy ends. */
  run(): PrecopyEnd {
    for (;;) {
      const s = this.step();
      if (s.kind === 'end') return s.end;
    }
  }

  /* Round 0's queue: every populated page, after a harvest that empties the dirty log. */
  private begin(): void {
    this.started = true;
    this.src.harvestDirty();
    this.queue = populatedPages(this.src);
    this.roundStart = this.src.instructions;
  }

  /* Harvest, record the round, and either end or queue the next round. */
  private closeRound(): PrecopyStep {
    const dirty = dirtyPages(this.src.harvestDirty().bitmap);
    const insns = this.src.instructions - this.roundStart;
    const record: RoundRecord = {
      round: this.round,
      sent: this.queue.length,
      dirtied: dirty.length,
      insns,
      rate: insns === 0 ? 0 : Math.round((dirty.length * 1e6) / insns),
      remaining: dirty.length,
    };
    this.rounds.push(record);
    if (dirty.length < this.opts.downtimePages) this.end = { kind: 'converged', remaining: dirty };
    else if (this.round + 1 >= this.opts.maxRounds) this.end = { kind: 'max-rounds', remaining: dirty };
    this.round++;
    this.queue = dirty;
    this.next = 0;
    this.roundStart = this.src.instructions;
    return { kind: 'round', record };
  }

  private finish(end: PrecopyEnd): PrecopyStep {
    this.end = end;
    return { kind: 'end', end };
  }
}

/** The page indexes set in a harvest bitmap (page i is byte i >> 3, bit i & 7), ascending. */
export function dirtyPages(bitmap: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bitmap.length; i++) {
    const b = bitmap[i];
    if (b === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) out.push(i * 8 + bit);
  }
  return out;
}
