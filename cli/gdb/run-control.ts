/*
 * Running the guest for gdb: what one slice of a `c` or an `s` does, and the stop reply it ends
 * with. The server (server.ts) calls slice() between turns of the event loop, so Ctrl-C and
 * packets get through while the guest runs.
 *
 *   resume()        the next slice starts from the current pc, where a breakpoint may sit that
 *                   the guest is stopped on: that one instruction runs with it lifted
 *                   (Breakpoints.lifted), then every breakpoint is in place again
 *   slice(resume)   `s`: one instruction of one vCPU; `c`: a slice of sliceInsns of every vCPU by
 *                   the round-robin, or of one vCPU alone (threads.ts). It answers
 *                     running   nothing to tell gdb yet
 *                     stopped   a stop reply: T05 swbreak (a breakpoint; the pc is on it), T05
 *                               (a step done), T05 watch/rwatch/awatch:ADDR (a watchpoint)
 *                     ended     the guest stopped for good: T0b (a fault, so gdb can look at it),
 *                               T18 (an instruction or time limit), then W + status once gdb
 *                               resumes it again; W + status at once for hlt, SYSTEM_OFF, exit
 *
 * A watched page's nested fault (watches.ts) is settled here: with every watched page's rights
 * back and any breakpoint at the pc lifted, the instruction is tried once with its data accesses
 * probed (Machine.trialStep). Not a hit: it stays done and the guest runs on (or the step ends).
 * A hit on x86-64: it stays done and gdb hears of it after the access. A hit on AArch64: it is
 * undone and gdb hears of it before the access, as it expects on that architecture (gdb then
 * lifts the watchpoint, steps the instruction itself and checks the value).
 *
 * Every stop reply names the vCPU that stopped as its thread (`thread:NN;`): the one stepped or
 * run alone, else the one whose turn it was when the slice ended (the one that reached the
 * breakpoint, made the watched access, faulted). With one vCPU that is always thread 1, and the
 * slices are the ones the stub ran before it had threads: no vCPU is ever picked.
 *
 * Invariant: a slice leaves every breakpoint and every watched page as it found them.
 */
import type { DebugPause } from '../../emulator/debug/debug-pause.js';
import { isPause } from '../../emulator/debug/debug-pause.js';
import type { Machine } from '../../emulator/machine.js';
import type { StopReason } from '../../emulator/stop-reason.js';
import { PC_REG } from '../../emulator/unicorn/registers.js';
import { threadTag, type Resume } from './threads.js';
import type { WatchHit, Watches } from './watches.js';

export type Outcome =
  | { readonly kind: 'running' }
  | { readonly kind: 'stopped'; readonly reply: string }
  | { readonly kind: 'ended'; readonly reply: string; readonly stop: StopReason; readonly last: boolean };

const RUNNING: Outcome = { kind: 'running' };
const stopped = (reply: string): Outcome => ({ kind: 'stopped', reply });
const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');

export class RunControl {
  private liftAtPc = false;
  private finalTold = false;

  constructor(
    private readonly machine: Machine,
    private readonly watches: Watches,
    private readonly sliceInsns: number,
  ) {}

  resume(): void {
    this.liftAtPc = true;
  }

  /* The pc of vCPU `cpu`. */
  private pc(cpu: number): number {
    return Number(this.machine.debug.cpu(cpu).reg(PC_REG[this.machine.arch]));
  }

  /** One slice of a `c` or the whole of an `s` (see the essay). */
  slice(resume: Resume): Outcome {
    const { step } = resume;
    const several = this.machine.cpus.count > 1;
    const only = several && resume.thread !== null ? resume.thread : undefined;
    const cpu = only ?? this.machine.cpus.peek()?.id ?? 0;
    const bps = this.machine.debug.breakpoints;
    const pc = this.pc(cpu);
    const lift = this.liftAtPc && bps.has(pc);
    this.liftAtPc = false;
    const insns = step || lift ? 1 : this.sliceInsns;
    // the lifted instruction is the stopped vCPU's own (alone, when there are several)
    const at = lift && several ? cpu : only;
    const run = () => this.machine.debugSlice(insns, at);
    const r = lift ? bps.lifted(pc, run) : run();
    const who = at ?? this.machine.cpus.current.id;
    if (r === null) return step ? stopped(`T05${threadTag(who)}`) : RUNNING;
    if (isPause(r)) return this.paused(r, step, who, at);
    return this.ended(r, who);
  }

  private paused(p: DebugPause, step: boolean, who: number, only: number | undefined): Outcome {
    const tag = threadTag(who);
    if (p.kind === 'breakpoint') return stopped(`T05swbreak:;${tag}`);
    const pc = this.pc(who);
    let hit: WatchHit | null = null;
    const undoHits = this.machine.arch === 'arm64';
    const t = this.watches.suspend(() =>
      this.machine.debug.breakpoints.lifted(pc, () =>
        this.machine.trialStep((accesses) => {
          hit = this.watches.hitBy(accesses);
          return hit === null || !undoHits;
        }, only),
      ),
    );
    if (t.end !== null) return isPause(t.end) ? stopped(`T05${tag}`) : this.ended(t.end, who);
    const h = hit as WatchHit | null;
    if (h !== null) return stopped(`T05${h.word}:${h.gva.toString(16)};${tag}`);
    return step ? stopped(`T05${tag}`) : RUNNING;
  }

  /* The guest's own end: a signal first where gdb can still look at the machine, then W. */
  private ended(stop: StopReason, who: number): Outcome {
    const exited = `W${hex2(stop.code)}`;
    if (stop.reason === 'halt' || stop.reason === 'exit' || this.finalTold)
      return { kind: 'ended', reply: exited, stop, last: true };
    this.finalTold = true;
    const signal = stop.reason === 'fault' ? '0b' : '18';
    return { kind: 'ended', reply: `T${signal}${threadTag(who)}`, stop, last: false };
  }
}
