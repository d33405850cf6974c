// Lab reclaim: your replacement policy (read README.md first).
//
// nestvm calls choose() each time a guest page needs a host frame and none is free. It shows you
// the frames that may be taken now, oldest first, and you answer which one goes and whether its
// content must be written back to the swap store. `nestvm lab grade reclaim .` runs your policy
// on three guests at 2x and 4x overcommit and prints one line per check.

/**
 * One frame you may take, as nestvm shows it.
 * @typedef {object} Candidate
 * @property {number} hfn       the host frame number (stays the frame's name while it is resident)
 * @property {number} gpa       the guest-physical address of the page it holds
 * @property {string} object    the memory object ('ram')
 * @property {number} page      the page's index in that object
 * @property {boolean} accessed a nested PTE that maps it has Accessed set (EPT A, nPT A, stage-2 AF)
 * @property {boolean} dirty    the page was written since the swap store's copy was taken (or has none)
 */

/**
 * @typedef {object} Control
 * @property {(index: number) => void} clearAccessed  clear candidate index's Accessed bit in every
 *   nested PTE that maps it; the guest's next access sets it again
 */

/**
 * @typedef {object} Decision
 * @property {number} victim      the index (into candidates) of the frame to take
 * @property {boolean} writeBack  true: copy its content to the swap store first; false: drop it
 */

/**
 * Called once per squeezed run. Keep here what your policy remembers between evictions.
 * @returns {(candidates: Candidate[], ctl: Control) => Decision}
 */
export function createPolicy() {
  // TODO: the state your policy keeps between two evictions (a clock's ring and hand, ...)

  return function choose(candidates, ctl) {
    // TODO: pick the victim by its Accessed state, give the others their second chance with
    // ctl.clearAccessed, and decide the write-back by its Dirty state.
    throw new Error('TODO: choose is not written yet');
  };
}
