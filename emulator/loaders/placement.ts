/*
 * Where a guest image may sit: the checks every loader applies before handing an image over.
 *
 * Guest RAM for an architecture is the half-open range
 *
 *     [LAYOUT[arch].ramBase, LAYOUT[arch].ramBase + memBytes)
 *
 * and an image is acceptable only if
 *   1. every segment [gpa, gpa + memSize) lies inside guest RAM (device windows such as the
 *      PL011 at 0x0900_0000 are not RAM and cannot be loaded into);
 *   2. no two segments overlap (their order in the file must not decide what the guest sees);
 *   3. the entry point lies inside a segment that is executable.
 *
 * Violations are the guest's fault, so they are BadGuestError with a one-line message naming
 * the file and the exact addresses; nothing here asserts.
 */
import { LAYOUT, type Arch } from '../arch.js';
import { BadGuestError, type Segment } from '../image.js';
import { hex } from '../../mmu/addr.js';

export { hex };

export function ramRange(arch: Arch, memBytes: number): { lo: number; hi: number } {
  const lo = LAYOUT[arch].ramBase;
  return { lo, hi: lo + memBytes };
}

/** "[0x100000, 0x100200)" */
const span = (lo: number, hi: number): string => `[${hex(lo)}, ${hex(hi)})`;

export function checkPlacement(
  origin: string,
  arch: Arch,
  segments: readonly Segment[],
  entry: number,
  memBytes: number,
  describe: (index: number) => string = (i) => `segment ${i}`,
): void {
  const ram = ramRange(arch, memBytes);
  segments.forEach((s, i) => {
    const end = s.gpa + s.memSize;
    if (s.gpa < ram.lo || end > ram.hi) {
      throw new BadGuestError(
        `${origin}: ${describe(i)} at ${span(s.gpa, end)} is outside guest RAM ${span(ram.lo, ram.hi)}`,
      );
    }
  });
  const order = segments.map((s, i) => ({ s, i })).sort((a, b) => a.s.gpa - b.s.gpa);
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1];
    const b = order[k];
    if (b.s.gpa < a.s.gpa + a.s.memSize) {
      throw new BadGuestError(
        `${origin}: ${describe(a.i)} at ${span(a.s.gpa, a.s.gpa + a.s.memSize)} overlaps ` +
          `${describe(b.i)} at ${span(b.s.gpa, b.s.gpa + b.s.memSize)}`,
      );
    }
  }
  const home = segments.find((s) => entry >= s.gpa && entry < s.gpa + s.memSize && s.flags.includes('x'));
  if (home === undefined) {
    throw new BadGuestError(`${origin}: entry point ${hex(entry)} is not inside any executable segment`);
  }
}
