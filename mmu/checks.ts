/*
 * Two levels of checking (house style).
 *
 *  - `assert` is always on and cheap. It guards invariants whose breach would corrupt state: a
 *    reference count going below zero, a present entry remapped to a different frame, a table
 *    freed while it still has children. A breach throws InvariantError: it is a bug in nestvm,
 *    never something a guest can cause (guest-caused failures are values, not exceptions).
 *  - `fullChecks` switches on whole-structure sweeps (PV lists agree with PTEs, reference counts
 *    equal covered entries, frame accounting balances). Tests turn it on through the environment
 *    variable NESTVM_CHECKS=full (vitest.config.ts sets it) or `setFullChecks(true)`.
 */

export class InvariantError extends Error {
  override name = 'InvariantError';
}

export function assert(cond: unknown, what: string): asserts cond {
  if (!cond) throw new InvariantError(what);
}

/**
 * Throws InvariantError. For sweeps that test millions of conditions: `if (!ok) broken(`...`)`
 * builds its message only when the check fails, where `assert(ok, `...`)` builds it every time.
 */
export function broken(what: string): never {
  throw new InvariantError(what);
}

let full = typeof process !== 'undefined' && process.env?.NESTVM_CHECKS === 'full';

export const fullChecks = (): boolean => full;
export const setFullChecks = (on: boolean): void => {
  full = on;
};
