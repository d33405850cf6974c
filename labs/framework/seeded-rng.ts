/*
 * Seeds and the seeded random source of the labs (OSTEP's homework simulators take `-s SEED`; the
 * labs take `--seed N` or `--student ID`).
 *
 *   seed         a whole number in [0, 2^32): the one input that picks a student's parameters
 *   studentSeed  an id (e-mail, login, Gradescope user id) hashed to a seed: FNV-1a over the
 *                UTF-8 bytes of the id, trimmed and lower-cased, so "Ada@Uni.edu " and
 *                "ada@uni.edu" get the same parameters
 *   rngFor       a generator for one use of the seed (a lab's parameters, one check's cases): the
 *                seed and a label are hashed together, so two checks never share a sequence and
 *                adding a check leaves the others' cases as they were
 *
 * The generator is xorshift32 with a multiply on the way out, on one state word (never zero). It
 * is not cryptographic and needs not be: it only has to give every student different numbers, the
 * same ones every time.
 */
import type { Rng } from './lab-api.js';

export const MAX_SEED = 0xffff_ffff;

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`, mixed into `basis`. */
export function fnv1a(text: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The seed of a student id. */
export const studentSeed = (id: string): number => fnv1a(id.trim().toLowerCase());

/** A generator for `label` under `seed`. */
export function rngFor(seed: number, label: string): Rng {
  let state = fnv1a(label, (seed ^ 0x9e3779b9) >>> 0) || 1;
  const next32 = (): number => {
    state ^= state << 13; // Marsaglia's xorshift32 step: a full period over the non-zero words
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return Math.imul(state ^ (state >>> 16), 0x45d9f3b) >>> 0; // spread the low bits upwards
  };
  const next = () => next32() / 0x1_0000_0000;
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    pick: (list) => list[int(list.length)],
  };
}
