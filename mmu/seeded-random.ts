/*
 * A seeded source of pseudo-random numbers for the places where nestvm wants disorder that is
 * still repeatable: the scattered host layout (which host frame a guest page lands in) and any
 * seeded choice a later layer makes. Nothing on the data path may read Math.random (DESIGN §6).
 *
 * The generator is a 32-bit xorshift: state x, step x ^= x << 13, x ^= x >>> 17, x ^= x << 5,
 * all on unsigned 32-bit values. Its period is 2^32 - 1 over the non-zero states, so the seed is
 * first spread over 32 bits by a multiply-and-fold and a zero state is replaced by a fixed one.
 *
 *   seed (any safe integer) ──spread──► state (u32, never 0) ──step──► next() u32 ──► below(n)
 *
 * Invariants: the same seed gives the same sequence on every run and platform (integer maths
 * only, no floating point in the state); below(n) is in [0, n) for 1 <= n <= 2^32.
 */
import { assert } from './checks.js';

const FALLBACK_STATE = 0x6d2b79f5;

export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    assert(Number.isSafeInteger(seed) && seed >= 0, 'seeded random: seed must be a whole number');
    this.state = spread(seed);
  }

  /** The next unsigned 32-bit value. */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** A whole number in [0, n). */
  below(n: number): number {
    assert(Number.isInteger(n) && n >= 1 && n <= 0x1_0000_0000, 'seeded random: bad range');
    return Math.floor((this.next() * n) / 0x1_0000_0000);
  }
}

/* Fold both 32-bit halves of the seed, then mix them, so nearby seeds start far apart. */
function spread(seed: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
  let x = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  return x === 0 ? FALLBACK_STATE : x;
}
