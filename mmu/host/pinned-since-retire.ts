/*
 * What the vCPU's current instruction holds: every host frame its fills have used since it last
 * retired (the guest frames it reads, writes and fetches, the guest-table frames its walk reads,
 * and the nested leaf tables that map them), and how many nested faults it has taken since then.
 *
 * Why. A change that takes rights from a PTE kicks the vCPU, and the instruction in flight is cut
 * short and runs again from its start with an empty TLB. If a table steal (or an eviction) during
 * that instruction took something the instruction had already filled, the rerun faults it back
 * in, which steals again, and no instruction ever retires (the livelock of issue 11). So while an
 * instruction is in flight, nothing it has filled may be stolen or evicted; when host memory cannot
 * hold what it needs, the steal finds no victim and the fault is the value 'exhausted'.
 *
 * When is "since it last retired"? The engine counts instructions as they begin (the vCPU's run
 * counter), and the fill path gives each fill that count as its stamp: a data fill belongs to the
 * instruction that has begun, a fetch to the one about to begin (stamp + 1). Inside a slice a new
 * stamp means the previous instruction finished, so the set is cleared and the fault count starts
 * again. At slice boundaries the set is cleared too (between slices nothing is in flight, and a
 * rerun re-pins its pages as its refills hit them); the fault count survives a slice that retired
 * nothing, so a storm of faults across kicked slices is still seen.
 *
 *   mark[f]   1 when frame f is pinned            list[0..count)   the pinned frames, for clear()
 *   stamp     the instruction the pins belong to (NONE between slices)
 *   faults    nested faults since an instruction last retired
 *
 * Invariants: mark[f] = 1 exactly for the frames in list[0..count), each listed once; frames at or
 * beyond the host's frame count (device apertures) are never pinned. No allocation after
 * construction: pin, has and the stamp checks are typed-array work on the fill path.
 */
import type { Hfn } from '../addr.js';
import { assert } from '../checks.js';

const NONE = -1;

export class PinnedSinceRetire {
  private readonly mark: Uint8Array;
  private readonly list: Uint32Array;
  private count = 0;
  private stamp = NONE;
  private faults = 0;

  constructor(frames: number) {
    this.mark = new Uint8Array(frames);
    this.list = new Uint32Array(frames);
  }

  /** Whether frame f was filled by the instruction in flight (not eligible for steal or eviction). */
  has(f: Hfn): boolean {
    return this.mark[f] === 1;
  }

  /** Frames pinned now. */
  get size(): number {
    return this.count;
  }

  /** Nested faults taken since an instruction last retired. */
  get faultsSinceRetire(): number {
    return this.faults;
  }

  /** A fill of instruction `stamp` (>= 1) of this slice: a new stamp retires the previous instruction. */
  atInstruction(stamp: number): void {
    if (stamp === this.stamp) return;
    this.clear();
    // stamp s > 1 means instructions 1 .. s - 1 of this slice have finished
    if (stamp > 1) this.faults = 0;
    this.stamp = stamp;
  }

  /** Pin frame f for the instruction in flight (idempotent; apertures above host RAM are ignored). */
  pin(f: Hfn): void {
    if (f >= this.mark.length || this.mark[f] === 1) return;
    this.mark[f] = 1;
    this.list[this.count++] = f;
  }

  /** Count a nested fault of the instruction in flight; returns the faults since the last retirement. */
  noteFault(): number {
    return ++this.faults;
  }

  /** The slice ended: nothing is in flight. `retired`: it finished at least one instruction. */
  endSlice(retired: boolean): void {
    this.clear();
    this.stamp = NONE;
    if (retired) this.faults = 0;
  }

  private clear(): void {
    for (let i = 0; i < this.count; i++) this.mark[this.list[i]] = 0;
    this.count = 0;
  }

  /** Full sweep of the books (tests, NESTVM_CHECKS=full). */
  checkInvariants(): void {
    let marked = 0;
    for (let f = 0; f < this.mark.length; f++) marked += this.mark[f];
    assert(marked === this.count, 'pinned-since-retire: marks and list disagree');
    for (let i = 0; i < this.count; i++)
      assert(this.mark[this.list[i]] === 1, 'pinned-since-retire: a listed frame is not marked');
  }
}
