/*
 * A count as people read it: digits grouped in threes with commas, as `toLocaleString('en-US')`
 * writes them (1234567 -> "1,234,567"), without waking up Intl.
 *
 * The first Intl call of a process loads ICU's locale data, which cost about 12 ms of every
 * `nestvm run`'s start-up to print a handful of counters. The summary's figures are whole numbers,
 * so they are grouped here by hand. Anything else (a fraction, a non-finite value, a magnitude at
 * which a JS number no longer holds every integer) goes to toLocaleString, which is then loaded
 * only when it is needed (so is -0, which it writes as "-0").
 *
 * Invariant: for every number v, groupDigits(v) === v.toLocaleString('en-US').
 */

export function groupDigits(v: number): string {
  if (!Number.isSafeInteger(v) || Object.is(v, -0)) return v.toLocaleString('en-US');
  const digits = String(Math.abs(v));
  let out = digits.slice(0, digits.length % 3 || 3);
  for (let i = out.length; i < digits.length; i += 3) out += ',' + digits.slice(i, i + 3);
  return v < 0 ? '-' + out : out;
}
