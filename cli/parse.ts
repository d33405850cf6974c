/*
 * Parsers for flag values, used by the yargs builders' `coerce`. Each throws UsageError with a
 * message that names the flag and shows an accepted form.
 */
import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "16M", "64MiB", "4096", "0x100000" -> bytes. */
export function parseSize(flag: string, raw: unknown): number {
  const text = String(raw).trim();
  const m = /^(0x[0-9a-f]+|\d+)\s*([kmg]?)(i?b)?$/i.exec(text);
  if (!m) throw new UsageError(`--${flag}: '${text}' is not a size (try 16M, 64MiB or 1048576)`);
  const n = Number(m[1]) * UNITS[m[2].toLowerCase()];
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${flag}: '${text}' is out of range`);
  return n;
}

/** "0x40080000", "1048576" -> a non-negative integer address. */
export function parseAddress(flag: string, raw: unknown): number {
  const text = String(raw).trim().replace(/_/g, '');
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text))
    throw new UsageError(`--${flag}: '${raw}' is not an address (try 0x100000)`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag}: '${raw}' is too large`);
  return n;
}

/** A positive whole number such as an instruction count ("1000000", "1e6", "0x1000"). */
export function parseCount(flag: string, raw: unknown): number {
  const text = String(raw).trim().replace(/_/g, '');
  const n = Number(text);
  if (text === '' || !Number.isSafeInteger(n) || n <= 0)
    throw new UsageError(`--${flag}: '${raw}' is not a positive whole number`);
  return n;
}
