/*
 * Parsers for flag values, used by the yargs builders' `coerce`. Each throws UsageError with a
 * message that names the flag and shows an accepted form.
 *
 * A flag that takes one value takes it once: yargs turns a repeated flag into an array, and every
 * parser here refuses an array by name (`--arch` given twice is a usage error, not "the last one
 * wins" and not a crash further on). Sizes take an upper bound, so a limit of the layers below
 * (host memory below 4 GiB) is refused here, as a usage error that names it.
 */
import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** The one value of a single-value flag (refuses a repeated flag, which yargs makes an array). */
export function oneValue(flag: string, raw: unknown): string {
  if (Array.isArray(raw)) throw repeated(flag, raw);
  return String(raw).trim();
}

export const repeated = (flag: string, values: readonly unknown[]): UsageError =>
  new UsageError(`--${flag} was given ${values.length} times (${values.join(', ')}): give it once`);

/** "16M" or "4194300K" for a whole number of MiB or KiB, else the number of bytes. */
export const sizeText = (n: number): string =>
  n % 1024 ** 2 === 0 ? `${n / 1024 ** 2}M` : n % 1024 === 0 ? `${n / 1024}K` : `${n}`;

/** An upper bound for a size, and the reason for it that the message names. */
export interface SizeLimit {
  readonly max: number;
  readonly why: string;
}

/** "16M", "64MiB", "4096", "0x100000" -> bytes, at most `limit.max`. */
export function parseSize(flag: string, raw: unknown, limit?: SizeLimit): number {
  const text = oneValue(flag, raw);
  const m = /^(0x[0-9a-f]+|\d+)\s*([kmg]?)(i?b)?$/i.exec(text);
  if (!m) throw new UsageError(`--${flag}: '${text}' is not a size (try 16M, 64MiB or 1048576)`);
  const n = Number(m[1]) * UNITS[m[2].toLowerCase()];
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${flag}: '${text}' is out of range`);
  if (limit !== undefined && n > limit.max)
    throw new UsageError(`--${flag}: '${text}' is too large: ${limit.why} (at most ${sizeText(limit.max)})`);
  return n;
}

/** "0x40080000", "1048576" -> a non-negative integer address. */
export function parseAddress(flag: string, raw: unknown): number {
  const text = oneValue(flag, raw).replace(/_/g, '');
  if (text.startsWith('-')) throw new UsageError(`--${flag} must be ≥ 0: ${text}`);
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text))
    throw new UsageError(`--${flag}: '${raw}' is not an address (try 0x100000)`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag}: '${raw}' is too large`);
  return n;
}

/** A positive whole number such as an instruction count ("1000000", "1e6", "0x1000"). */
/** A whole number, zero allowed (a seed): digits with optional _ separators, below 2^53. */
export function parseWhole(flag: string, raw: unknown): number {
  const text = oneValue(flag, raw).replace(/_/g, '');
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n))
    throw new UsageError(`--${flag}: '${raw}' is not a whole number (0 or more, below 2^53)`);
  return n;
}

export function parseCount(flag: string, raw: unknown): number {
  const text = oneValue(flag, raw).replace(/_/g, '');
  const n = Number(text);
  if (text === '' || !Number.isSafeInteger(n) || n <= 0)
    throw new UsageError(`--${flag}: '${raw}' is not a positive whole number`);
  return n;
}
