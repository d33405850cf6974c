/*
 * One live migration from start to end, over two Machines in one process standing for two hosts:
 *
 *   build     the source from the guest image; the destination from the same image without its
 *             segments (its RAM holds only what the migration sends), with its own format, host
 *             layout and seed: nothing of the source's host side crosses over
 *   warm-up   the source runs `startAfter` instructions on its own
 *   pre-copy  round by round while the source runs (precopy.ts)
 *   hand-over stop-and-copy, the guest state, the RAM check (handover.ts)
 *   finish    the destination runs the guest to its end
 *   (post-copy, `postcopy` given: `after` rounds, then the switch with no RAM page sent and the
 *             destination running while its missing pages follow, postcopy.ts; the planted damage
 *             then comes once every page is there and the guest has ended)
 *   verify    an unmigrated run of the same guest with the source's options (the reference) must
 *             print the same console and stop with the same reason, status and instruction count;
 *             after a post-copy, its final RAM must also equal the destination's, page by page
 *
 * Each phase returns what the next needs; the Migration keeps only the Machines and the stepper,
 * so the TUI (cli/tui/migration-port.ts) can drive every phase a slice at a time and draw between
 * slices: `warmUpSlice()`, `precopy.step()`, `handOver()`, the destination's own slices, then
 * `finish()`. `run()` does all of it in one call, for `nestvm migrate`. Nothing reads a clock: the same guest and options give
 * the same rounds, the same hand-over and the same result.
 *
 * Invariants: both Machines have the nested layer with fully backed RAM and the source tracks
 * dirty pages (checked when built: an Error, which the CLI prevents by refusing such flags); the
 * destination never runs before a hand-over whose RAM check passed; every Machine built here is
 * closed by `close()`.
 */
import type { GuestImage } from '../image.js';
import { Machine, type MachineOptions, type StopReason } from '../machine.js';
import {
  handOver,
  transferGuestState,
  type Handover,
  type PageMismatch,
  type StateTransfer,
} from './handover.js';
import { Postcopy, type PostcopyRecord } from './postcopy.js';
import { Precopy, type PrecopyEnd, type PrecopyOptions, type RoundRecord } from './precopy.js';
import { assertBacked, firstDifferingPage, populatedPages } from './ram-pages.js';

export interface MigrationSetup extends PrecopyOptions {
  readonly image: GuestImage;
  readonly source: MachineOptions;
  readonly destination: MachineOptions;
  /** Instructions the source runs before round 0. */
  readonly startAfter: number;
  /** The state hand-over (default: Machine.guestState; a test may pass a broken one). */
  readonly transfer?: StateTransfer;
  /** Damage the destination's RAM after the copy (tests, --corrupt-page). */
  readonly plant?: (dst: Machine) => void;
  /** Post-copy: switch after `after` pre-copy rounds (0: none) and let the pages follow. */
  readonly postcopy?: { readonly after: number };
}

/** How the migrated guest compares with the unmigrated reference run. */
export interface ReferenceCheck {
  readonly console: boolean;
  readonly exit: boolean;
  readonly instructions: boolean;
  /** After a post-copy: the first page whose final content differs from the reference's, or null. */
  readonly ram?: PageMismatch | null;
  /** The reference run's own figures, for messages. */
  readonly stop: StopReason;
  readonly totalInstructions: number;
}

export interface MigrationResult {
  readonly rounds: readonly RoundRecord[];
  /** Pages sent during the rounds plus the stop-and-copy. */
  readonly totalSent: number;
  /** 'converged' / 'max-rounds': handed over; 'postcopy': switched over; 'source-stopped': the guest ended before. */
  readonly precopy: PrecopyEnd['kind'] | 'postcopy';
  readonly converged: boolean;
  /** The hand-over, or null when the guest stopped on the source first. */
  readonly handover: Handover | null;
  /** The post-copy phase, null without --postcopy (or when the guest stopped on the source first). */
  readonly postcopy: PostcopyRecord | null;
  /** Guest instructions run on each side (the destination's count after the hand-over). */
  readonly instructions: { readonly source: number; readonly destination: number };
  /** How the guest stopped (on the destination, or on the source); null when the RAM check failed. */
  readonly stop: StopReason | null;
  /** Everything the guest printed, on either side. */
  readonly console: string;
  /** Null when the RAM check failed (nothing ran on the destination to compare). */
  readonly reference: ReferenceCheck | null;
}

export class Migration {
  readonly source: Machine;
  readonly destination: Machine;
  readonly precopy: Precopy;
  /** The post-copy phase once switched over (null before, and without post-copy). */
  postcopy: Postcopy | null = null;
  private readonly built: Machine[] = [];

  constructor(private readonly setup: MigrationSetup) {
    this.source = this.machine(setup.image, setup.source);
    this.destination = this.machine({ ...setup.image, segments: [] }, setup.destination);
    assertBacked(this.source);
    assertBacked(this.destination);
    if (!this.source.setDirtyTracking(true))
      throw new Error('migration: the source cannot track dirty pages');
    const pc = setup.postcopy;
    // post-copy: exactly `after` rounds, no convergence test (a dirty set below 0 never happens)
    const rounds =
      pc === undefined ? setup : { ...setup, maxRounds: Math.max(1, pc.after), downtimePages: 0 };
    this.precopy = new Precopy(this.source, this.destination, rounds);
  }

  /** One slice of the warm-up: `left` instructions still to run; what is left, or the guest's end. */
  warmUpSlice(left: number): { readonly left: number; readonly stop: StopReason | null } {
    const before = this.source.instructions;
    const stop = this.source.runSlice(Math.min(left, this.setup.sliceInsns));
    return { left: left - (this.source.instructions - before), stop };
  }

  /** The source's warm-up: run `startAfter` instructions (a StopReason if the guest ended in it). */
  warmUp(): StopReason | null {
    for (let left = this.setup.startAfter; left > 0;) {
      const s = this.warmUpSlice(left);
      if (s.stop !== null) return s.stop;
      left = s.left;
    }
    return null;
  }

  /** Warm-up, pre-copy, hand-over, the destination's run and the reference check. */
  run(): MigrationResult {
    const early = this.warmUp();
    if (early !== null) return this.sourceStopped(early);
    if (this.setup.postcopy === undefined) return this.complete(this.precopy.run());
    const end = this.setup.postcopy.after === 0 ? this.noRounds() : this.precopy.run();
    if (end.kind === 'source-stopped') return this.sourceStopped(end.stop);
    const phase = this.switchOver(end.remaining);
    const stop = phase.run() ?? this.destination.run();
    return this.finishPostcopy(stop);
  }

  /* A post-copy with no pre-copy round: every populated page is still to send. */
  private noRounds(): PrecopyEnd {
    return { kind: 'max-rounds', remaining: populatedPages(this.source) };
  }

  /** The post-copy switch: the state crosses, `pending` pages follow (step the returned phase). */
  switchOver(pending: readonly number[]): Postcopy {
    const s = this.setup;
    this.postcopy = new Postcopy(
      this.source,
      this.destination,
      pending,
      s.transfer ?? transferGuestState,
      { bandwidth: s.bandwidth, sliceInsns: s.sliceInsns },
      s.destination.sink,
    );
    return this.postcopy;
  }

  /** The result once the post-copy phase ended and the guest stopped on the destination (`stop`). */
  finishPostcopy(stop: StopReason): MigrationResult {
    const phase = this.postcopy!;
    this.setup.plant?.(this.destination);
    const h: Handover = {
      stopAndCopy: 0,
      atInstructions: phase.atInstructions,
      destinationStart: phase.destinationStart,
      mismatch: null,
    };
    return this.result('postcopy', h, stop, this.destination.console);
  }

  /** Everything after the pre-copy's end. */
  complete(end: PrecopyEnd): MigrationResult {
    if (end.kind === 'source-stopped') return this.sourceStopped(end.stop);
    const h = this.handOver(end);
    if (h.mismatch !== null) return this.finish(end.kind, h, null);
    return this.finish(end.kind, h, this.destination.run());
  }

  /** Stop-and-copy, the guest state and the RAM check, after a pre-copy that did not see the guest end. */
  handOver(end: Exclude<PrecopyEnd, { kind: 'source-stopped' }>): Handover {
    return handOver(
      this.source,
      this.destination,
      end.remaining,
      this.setup.transfer ?? transferGuestState,
      this.setup.plant,
    );
  }

  /** The result of a migration whose guest ended on the source before the hand-over. */
  sourceStopped(stop: StopReason): MigrationResult {
    return this.result('source-stopped', null, stop, this.source.console);
  }

  /**
   * The result after the hand-over `h`: `stop` is how the guest ended on the destination (run by
   * the caller, to its end), or null when the RAM check failed and the destination never ran.
   */
  finish(kind: PrecopyEnd['kind'], h: Handover, stop: StopReason | null): MigrationResult {
    return this.result(kind, h, stop, this.destination.console);
  }

  close(): void {
    for (const m of this.built) m.close();
  }

  private result(
    kind: MigrationResult['precopy'],
    h: Handover | null,
    stop: StopReason | null,
    console: string,
  ): MigrationResult {
    const rounds = this.precopy.rounds;
    const pc = h === null ? null : (this.postcopy?.record ?? null);
    const source = this.source.instructions;
    const destination = h === null ? 0 : this.destination.instructions - h.destinationStart;
    return {
      rounds,
      totalSent:
        rounds.reduce((n, r) => n + r.sent, 0) +
        (h?.stopAndCopy ?? this.precopy.sentInOpenRound) +
        (pc === null ? 0 : pc.requested + pc.pushed),
      precopy: kind,
      converged: kind === 'converged',
      handover: h,
      postcopy: pc,
      instructions: { source, destination },
      stop,
      console,
      reference: stop === null ? null : this.reference(stop, console, source + destination),
    };
  }

  /* The unmigrated run, compared with the migrated guest. */
  private reference(stop: StopReason, console: string, total: number): ReferenceCheck {
    // silent: the sides' event sinks (the live view's collector, --trace) hear only the migration
    const ref = this.machine(this.setup.image, {
      ...this.setup.source,
      sink: undefined,
      onConsole: undefined,
    });
    const refStop = ref.run();
    return {
      console: ref.console === console,
      exit: refStop.reason === stop.reason && refStop.code === stop.code,
      instructions: ref.instructions === total,
      ...(this.postcopy === null ? {} : { ram: firstDifferingPage(ref, this.destination) }),
      stop: refStop,
      totalInstructions: ref.instructions,
    };
  }

  private machine(image: GuestImage, opts: MachineOptions): Machine {
    const m = new Machine(image, opts);
    this.built.push(m);
    return m;
  }
}
