// Lab reclaim, the reference solution: a clock (second chance over the nested Accessed bits)
// with its own ring and hand, and the Dirty bit deciding the write-back.
//
// The candidates come oldest first, and a frame that may not go now is left out, so the policy
// keeps its own order: a ring of frame numbers in clock order and a hand into it. A frame it has
// not seen joins just behind the hand, so the hand reaches it last; the victim leaves the ring,
// and the hand then points at the frame after it.

/**
 * @typedef {{ hfn: number, gpa: number, object: string, page: number, accessed: boolean, dirty: boolean }} Candidate
 * @typedef {{ clearAccessed(index: number): void }} Control
 */

/** @returns {(candidates: Candidate[], ctl: Control) => { victim: number, writeBack: boolean }} */
export function createPolicy() {
  /** @type {number[]} */
  const ring = [];
  const known = new Set();
  let hand = 0;

  /** @param {Candidate[]} candidates */
  function join(candidates) {
    for (const c of candidates) {
      if (known.has(c.hfn)) continue;
      known.add(c.hfn);
      ring.splice(hand, 0, c.hfn);
      hand++;
    }
  }

  return function choose(candidates, ctl) {
    join(candidates);
    const index = new Map(candidates.map((c, i) => [c.hfn, i]));
    const cleared = new Set();
    for (let step = 0; step < 2 * ring.length; step++) {
      if (hand >= ring.length) hand = 0;
      const i = index.get(ring[hand]);
      if (i !== undefined) {
        const c = candidates[i];
        if (!c.accessed || cleared.has(i)) {
          ring.splice(hand, 1);
          known.delete(c.hfn);
          return { victim: i, writeBack: c.dirty };
        }
        ctl.clearAccessed(i);
        cleared.add(i);
      }
      hand++;
    }
    return { victim: 0, writeBack: candidates[0].dirty };
  };
}
