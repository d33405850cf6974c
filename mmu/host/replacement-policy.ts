/*
 * Replacement policies: which resident guest frame gives way when a page needs a frame and none
 * is free.
 *
 * A policy keeps its own ResidentRing of the frames it may choose among. The reclaimer tells it
 * when a frame becomes resident (admit) and when one stops being so (forget), and asks it for a
 * victim (choose) with a FrameState: the nested Accessed and Dirty state of each frame, read
 * through the PV list and the entry format by a layer that knows them, and whether the frame may
 * go at all (a frame the current instruction needs, or that a device holds, may not). A policy
 * never decodes an entry.
 *
 *   fifo    the oldest eligible frame, whatever its Accessed state.
 *   random  a seeded pick among the members; from there the first eligible one in ring order, so
 *           the same seed and the same requests give the same victims.
 *   clock   second chance (clock-policy.ts): clear Accessed on the first pass, evict on the second.
 *   script  a library hook: given the eligible candidates oldest first, with their Accessed and
 *           Dirty state, it answers the index of the victim (and may clear Accessed bits itself).
 *           It may also answer { victim, writeBack }: then it, not the Dirty state, decides whether
 *           the victim's content is written to the swap store (decide(); a coursework policy
 *           shows there that it uses the Dirty bit, and a wrong word costs a needless write or
 *           the page's content).
 *
 * Invariants: choose answers a member that is eligible, or -1 only when no member is eligible; it
 * never changes membership (the reclaimer forgets the victim once it is gone).
 */

import type { Gpa, Hfn } from '../addr.js';
import { assert } from '../checks.js';
import { SeededRandom } from '../seeded-random.js';
import { ClockPolicy } from './clock-policy.js';
import { ResidentRing } from './resident-ring.js';

/** What a policy may ask about a candidate frame. */
export interface FrameState {
  /** May f be taken now? */
  eligible(f: Hfn): boolean;
  /** Has any mapping of f been accessed since its Accessed state was last cleared? */
  accessed(f: Hfn): boolean;
  /** Clear f's Accessed state in every mapping; the next access sets it again. */
  clearAccessed(f: Hfn): void;
  /** Has f been written since its swap copy (if any) was taken? */
  dirty(f: Hfn): boolean;
  /** Where f's page sits, for a script: its guest-physical address, object and page index. */
  describe(f: Hfn): { gpa: Gpa | -1; object: string; page: number };
}

export interface ReplacementPolicy {
  readonly name: PolicyName;
  admit(f: Hfn): void;
  forget(f: Hfn): void;
  /** A victim among the eligible members, or -1 when none is eligible. */
  choose(state: FrameState): Hfn | -1;
  /**
   * A policy that also decides write-back (the script's `{ victim, writeBack }`): the victim as
   * choose() gives it, and its word on writing the content back (absent: the Dirty state decides).
   */
  decide?(state: FrameState): Decision;
  /** The frame the next choice starts from (clock's hand; fifo's oldest), or -1. */
  readonly hand: Hfn | -1;
  readonly members: ResidentRing;
}

export type PolicyName = 'clock' | 'fifo' | 'random' | 'script';
export const POLICY_NAMES: readonly PolicyName[] = ['clock', 'fifo', 'random'];

/** One candidate as a script sees it. */
export interface ReclaimCandidate {
  readonly hfn: Hfn;
  readonly gpa: Gpa | -1;
  readonly object: string;
  readonly page: number;
  readonly accessed: boolean;
  readonly dirty: boolean;
}

/**
 * What a script answers: the index of the victim (the reclaimer then writes its content back when
 * it is dirty), or the index and whether to write the content back.
 */
export type ReclaimAnswer = number | { readonly victim: number; readonly writeBack: boolean };

/**
 * A script's policy: answer the index (into `candidates`, oldest first) of the page to evict. It
 * may call clearAccessed(i) on the others, as a clock would.
 */
export type ReclaimHook = (
  candidates: readonly ReclaimCandidate[],
  ctl: { clearAccessed(index: number): void },
) => ReclaimAnswer;

/** A victim, and the policy's own word on writing its content back (undefined: none given). */
export interface Decision {
  readonly victim: Hfn | -1;
  readonly writeBack?: boolean;
}

/* What fifo, random and the script share: the resident ring in arrival order, the oldest first. */
abstract class RingPolicy implements ReplacementPolicy {
  abstract readonly name: ReplacementPolicy['name'];
  readonly members: ResidentRing;
  constructor(frameCount: number) {
    this.members = new ResidentRing(frameCount);
  }
  get hand(): Hfn | -1 {
    return this.members.head;
  }
  admit(f: Hfn): void {
    this.members.join(f);
  }
  forget(f: Hfn): void {
    this.members.leave(f);
  }
  abstract choose(state: FrameState): Hfn | -1;
}

class FifoPolicy extends RingPolicy {
  readonly name = 'fifo';
  choose(state: FrameState): Hfn | -1 {
    const r = this.members;
    let f = r.head;
    for (let i = 0; i < r.count; i++, f = r.next(f as Hfn)) if (state.eligible(f as Hfn)) return f;
    return -1;
  }
}

class RandomPolicy extends RingPolicy {
  readonly name = 'random';
  private readonly rng: SeededRandom;
  constructor(frameCount: number, seed: number) {
    super(frameCount);
    this.rng = new SeededRandom(seed);
  }
  override get hand(): Hfn | -1 {
    return -1; // no order to its choice
  }
  choose(state: FrameState): Hfn | -1 {
    const r = this.members;
    if (r.count === 0) return -1;
    let f = r.nth(this.rng.below(r.count));
    for (let i = 0; i < r.count; i++, f = r.next(f)) if (state.eligible(f)) return f;
    return -1;
  }
}

class ScriptPolicy extends RingPolicy {
  readonly name = 'script';
  constructor(
    frameCount: number,
    private readonly hook: ReclaimHook,
  ) {
    super(frameCount);
  }
  choose(state: FrameState): Hfn | -1 {
    return this.decide(state).victim;
  }
  decide(state: FrameState): Decision {
    const frames = this.members.inOrder().filter((f) => state.eligible(f));
    if (frames.length === 0) return { victim: -1 };
    const candidates = frames.map((hfn) => ({
      hfn,
      ...state.describe(hfn),
      accessed: state.accessed(hfn),
      dirty: state.dirty(hfn),
    }));
    const ctl = {
      clearAccessed: (i: number) => {
        if (Number.isInteger(i) && i >= 0 && i < frames.length) state.clearAccessed(frames[i]);
      },
    };
    const answer = this.hook(candidates, ctl);
    const k = typeof answer === 'object' && answer !== null ? answer.victim : answer;
    if (!Number.isInteger(k) || k < 0 || k >= frames.length)
      throw new RangeError(`reclaim hook answered ${String(k)}: want an index below ${frames.length}`);
    if (typeof answer !== 'object') return { victim: frames[k] };
    if (typeof answer.writeBack !== 'boolean')
      throw new TypeError(`reclaim hook answered writeBack ${String(answer.writeBack)}: want true or false`);
    return { victim: frames[k], writeBack: answer.writeBack };
  }
}

export interface PolicyOptions {
  /** The seed of `random` (default 1). */
  seed?: number;
  /** The library hook (makes a 'script' policy; `name` is then ignored). */
  hook?: ReclaimHook;
}

/** A fresh policy over frames 0 .. frameCount - 1. */
export function makePolicy(
  name: PolicyName,
  frameCount: number,
  opts: PolicyOptions = {},
): ReplacementPolicy {
  if (opts.hook !== undefined) return new ScriptPolicy(frameCount, opts.hook);
  switch (name) {
    case 'clock':
      return new ClockPolicy(frameCount);
    case 'fifo':
      return new FifoPolicy(frameCount);
    case 'random':
      return new RandomPolicy(frameCount, opts.seed ?? 1);
    case 'script':
      assert(false, "replacement policy: 'script' needs a hook");
  }
}
