/*
 * The live view of a live migration (`nestvm tui --migrate`): a MachinePort that runs the
 * migration of emulator/migration/ a slice at a time, and shows the source VM until the hand-over
 * and the destination VM after it.
 *
 *   phase         what run(max) does                                      panes show
 *   warm-up       the source runs --start-after instructions, a slice a run   source
 *   pre-copy      one pre-copy step (send up to --bandwidth pages, one        source
 *                 --slice on the source); the step that ends the pre-copy
 *                 does the hand-over: stop-and-copy, state, RAM check
 *   destination   the destination runs up to `max` instructions               destination
 *   ended         nothing: the guest ended (on either side), or the RAM       the last side
 *                 check failed and the destination never ran
 *
 * The phase is one value, and each step returns the next (`phase = next(phase)`): it carries
 * what the following step needs (the instructions left to warm up, the pre-copy's open round, the
 * hand-over and the destination's reader, the end's text and verdict). The rounds are the
 * Precopy stepper's own record. The readers (registers, tables, frames, the page grid) are those
 * of a MachineTuiPort over the side shown, so drawing changes neither Machine.
 *
 * Invariants: a step during the pre-copy runs one pre-copy slice whatever `max` asks (the rounds
 * are counted in slices); the destination never runs before a hand-over whose RAM check passed;
 * close() closes every Machine the migration built, once.
 */
import { loadDisassembler, type Disassembler } from '../../emulator/asm/disassemble.js';
import type { GuestImage } from '../../emulator/image.js';
import type { Handover } from '../../emulator/migration/handover.js';
import { Migration, type MigrationResult, type MigrationSetup } from '../../emulator/migration/migration.js';
import type { PrecopyEnd, PrecopyStep } from '../../emulator/migration/precopy.js';
import type { StopReason } from '../../emulator/machine.js';
import type { Gpa, Gva } from '../../mmu/addr.js';
import { MachineTuiPort, stopText, viewSession, viewSink, type TuiSessionOptions } from './machine-port.js';
import type { DebuggerHold, MachinePort, SessionCore } from './session-core.js';
import type { ActionOutcome, GptFormatName, MigrationInfo } from './model.js';

type Handed = Exclude<PrecopyEnd, { kind: 'source-stopped' }>['kind'];

/** Where the migration is, with what its next step needs. */
export type MigrationPhase =
  | { readonly kind: 'warm-up'; readonly left: number }
  | { readonly kind: 'pre-copy'; readonly open: MigrationInfo['open'] }
  | {
      readonly kind: 'destination';
      readonly end: Handed;
      readonly handover: Handover;
      readonly view: MachineTuiPort;
    }
  | {
      readonly kind: 'ended';
      readonly stop: string;
      readonly handover: { readonly end: Handed; readonly handover: Handover } | null;
      readonly view: MachineTuiPort;
      readonly verdict: string;
    };

/** The migrated guest against the unmigrated run, in a few words (the Dirty pane is narrow). */
export function verdictText(r: MigrationResult): string {
  if (r.handover === null) return 'ended on the source: not migrated';
  const m = r.handover.mismatch;
  if (m !== null) return `RAM differs at page ${m.page}`;
  const ref = r.reference;
  if (ref === null) return 'not verified';
  const off = [!ref.console && 'console', !ref.exit && 'exit', !ref.instructions && 'insns'];
  const what = off.filter(Boolean).join(', ');
  return what === '' ? 'verified: = unmigrated run' : `differs from unmigrated: ${what}`;
}

export class MigrationTuiPort implements MachinePort {
  readonly guest: string;
  readonly arch: MachineTuiPort['arch'];
  readonly memory: MachineTuiPort['memory'];
  private readonly source: MachineTuiPort;
  private phase: MigrationPhase;
  private closed = false;

  constructor(
    private readonly mig: Migration,
    guest: string,
    private readonly dis: Disassembler,
    startAfter: number,
  ) {
    this.source = new MachineTuiPort(mig.source, guest, dis);
    this.guest = guest;
    this.arch = this.source.arch;
    this.memory = this.source.memory;
    this.phase = startAfter > 0 ? { kind: 'warm-up', left: startAfter } : { kind: 'pre-copy', open: null };
  }

  /* ---- running: one step of the phase ---- */

  run(max: number): string | null {
    this.phase = this.next(this.phase, max);
    return this.phase.kind === 'ended' ? this.phase.stop : null;
  }

  private next(p: MigrationPhase, max: number): MigrationPhase {
    switch (p.kind) {
      case 'warm-up': {
        const s = this.mig.warmUpSlice(p.left);
        if (s.stop !== null) return this.endedOnSource(s.stop);
        return s.left > 0 ? { kind: 'warm-up', left: s.left } : { kind: 'pre-copy', open: null };
      }
      case 'pre-copy':
        return this.afterStep(this.mig.precopy.step());
      case 'destination': {
        const stop = this.mig.destination.runSlice(max);
        if (stop === null) return p;
        const verdict = verdictText(this.mig.finish(p.end, p.handover, stop));
        return { kind: 'ended', stop: stopText(stop), handover: p, view: p.view, verdict };
      }
      case 'ended':
        return p;
    }
  }

  /* A pre-copy step: a slice of a round, a round closed, or the end, which hands over. */
  private afterStep(s: PrecopyStep): MigrationPhase {
    if (s.kind === 'slice')
      return { kind: 'pre-copy', open: { round: s.round, sent: s.sentSoFar, queued: s.queued } };
    if (s.kind === 'round') return { kind: 'pre-copy', open: null };
    if (s.end.kind === 'source-stopped') return this.endedOnSource(s.end.stop);
    const end = s.end.kind;
    const handover = this.mig.handOver(s.end);
    const view = new MachineTuiPort(this.mig.destination, this.guest, this.dis);
    if (handover.mismatch === null) return { kind: 'destination', end, handover, view };
    const verdict = verdictText(this.mig.finish(end, handover, null));
    return { kind: 'ended', stop: `migration: ${verdict}`, handover: { end, handover }, view, verdict };
  }

  private endedOnSource(stop: StopReason): MigrationPhase {
    const verdict = verdictText(this.mig.sourceStopped(stop));
    return { kind: 'ended', stop: stopText(stop), handover: null, view: this.source, verdict };
  }

  /** The migration so far, for the Dirty pane. */
  migration(): MigrationInfo {
    const p = this.phase;
    const rounds = this.mig.precopy.rounds.map(({ round, sent, dirtied, rate, remaining }) => ({
      round,
      sent,
      dirtied,
      rate,
      remaining,
    }));
    const h = p.kind === 'destination' ? p : p.kind === 'ended' ? p.handover : null;
    return {
      phase: p.kind,
      side: this.view() === this.source ? 'source' : 'destination',
      rounds,
      open: p.kind === 'pre-copy' ? p.open : null,
      handover:
        h === null
          ? null
          : {
              converged: h.end === 'converged',
              stopAndCopy: h.handover.stopAndCopy,
              ram: h.handover.mismatch === null ? 'equal' : 'differs',
            },
      verdict: p.kind === 'ended' ? p.verdict : null,
    };
  }

  /* ---- the side shown: its readers and verbs ---- */

  private view(): MachineTuiPort {
    const p = this.phase;
    return p.kind === 'destination' || p.kind === 'ended' ? p.view : this.source;
  }

  get format(): GptFormatName {
    return this.view().format;
  }

  instructions = () => this.view().instructions();
  regs = () => this.view().regs();
  disasm = () => this.view().disasm();
  guestPaging = () => this.view().guestPaging();
  mode = () => this.view().mode();
  console = () => this.view().console();
  gpt = () => this.view().gpt();
  pageStates = (out: Uint8Array) => this.view().pageStates(out);
  reclaim = () => this.view().reclaim();
  walk = (page: Gpa) => this.view().walk(page);
  walk2d = (gva: Gva) => this.view().walk2d(gva);
  frameOf = (page: Gpa) => this.view().frameOf(page);
  clients = () => this.view().clients();
  pools = () => this.view().pools();
  regions = () => this.view().regions();
  dirtyTracking = () => this.view().dirtyTracking();
  debugger = (): DebuggerHold | null => null;

  /* The verbs that would change what the pre-copy reads are refused until the hand-over. */
  private during(what: string, verb: () => ActionOutcome): ActionOutcome {
    const k = this.phase.kind;
    if (k === 'warm-up' || k === 'pre-copy')
      return { ok: false, note: `${what}: refused during the migration (the pre-copy owns the dirty log)` };
    return verb();
  }

  harvest = () => this.during('harvest', () => this.view().harvest());
  setDirtyTracking = (on: boolean) => this.during('dirty tracking', () => this.view().setDirtyTracking(on));
  resetAccessed = () => this.during('reset accessed', () => this.view().resetAccessed());
  evict = (page: Gpa) => this.during('evict', () => this.view().evict(page));
  toggleRegion = (page: Gpa) => this.during('unmap', () => this.view().toggleRegion(page));

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.mig.close();
  }
}

/*
 * Building a migration's live session: the two sides emit to the one collector (and --trace), so
 * the fault log runs on from the source's faults to the destination's; the unmigrated reference
 * run is silent (migration.ts).
 */
export interface MigrationSessionOptions extends Pick<
  TuiSessionOptions,
  'sliceSize' | 'now' | 'schedule' | 'trace'
> {
  readonly guest: string;
  readonly setup: Omit<MigrationSetup, 'image'>;
}

export async function openMigrationSession(
  image: GuestImage,
  opts: MigrationSessionOptions,
): Promise<{
  readonly session: SessionCore;
  readonly port: MigrationTuiPort;
  readonly migration: Migration;
}> {
  const dis = await loadDisassembler(image.arch);
  const { collector, sink } = viewSink(opts.trace);
  const s = opts.setup;
  const migration = new Migration({
    ...s,
    image,
    source: { ...s.source, sink },
    destination: { ...s.destination, sink },
  });
  const port = new MigrationTuiPort(migration, opts.guest, dis, s.startAfter);
  return { session: viewSession(port, collector, { sliceSize: s.sliceInsns, ...opts }), port, migration };
}
