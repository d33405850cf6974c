/*
 * Command-line conventions yargs does not enforce by itself, checked once for every command:
 *
 *   - a flag that takes one value takes it once: yargs gathers a repeated flag into an array,
 *     which is refused here by name (the coerce parsers refuse it too, cli/parse.ts);
 *   - a boolean flag takes no value but true or false: yargs reads `--json=foo` as false, which
 *     would silently print the text summary; it is refused;
 *   - a negative number is no flag: `walk G -0x10` makes yargs see the short flags -0 -x -1 -0
 *     and complain about them; the message says instead what is wrong with the number.
 *
 * Each check is a plain function of the raw argv and the options yargs declared for the command,
 * so it can be tested without a command.
 */
import { UsageError } from './errors.js';
import { repeated } from './parse.js';

/** What yargs declared for the command being run (a subset of its getOptions()). */
export interface DeclaredOptions {
  readonly boolean: readonly string[];
  readonly array: readonly string[];
}

/** The declared options of a yargs instance (getOptions() is missing from yargs' types). */
export function declaredOptions(y: unknown): DeclaredOptions {
  const o = (y as { getOptions?: () => Partial<DeclaredOptions> }).getOptions?.() ?? {};
  return { boolean: o.boolean ?? [], array: o.array ?? [] };
}

/** Refuse a single-value flag given more than once (yargs made it an array). */
export function checkSingleValues(args: Record<string, unknown>, opts: DeclaredOptions): void {
  for (const [key, value] of Object.entries(args)) {
    if (key === '_' || key === '$0' || !Array.isArray(value)) continue;
    if (opts.array.includes(key) || /[A-Z]/.test(key)) continue; // camel-case twins repeat the dashed key
    throw repeated(key, value);
  }
}

/** The raw arguments before `--` (after it, everything is an operand). */
const flagsPart = (argv: readonly string[]): readonly string[] => {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
};

/** Refuse `--flag=value` for a boolean flag unless the value is true or false. */
export function checkBooleanValues(argv: readonly string[], opts: DeclaredOptions): void {
  for (const arg of flagsPart(argv)) {
    const m = /^--(no-)?([^=]+)=(.*)$/.exec(arg);
    if (m === null || !opts.boolean.includes(m[2])) continue;
    if (m[3] !== 'true' && m[3] !== 'false')
      throw new UsageError(`--${m[1] ?? ''}${m[2]} is a switch and takes no value: '${arg}'`);
  }
}

const NEGATIVE = /^-\d/;

/**
 * When yargs failed, the reason to give instead if a negative number was the cause. yargs reads
 * `-0x10` as short flags, so either the option before it lacks its value ("Not enough arguments
 * following: load") or an operand is missing or unknown; the only numeric operand is walk's
 * address. Null when the failure has another cause.
 */
export function negativeNumberReason(argv: readonly string[], yargsMessage: string): string | null {
  const number = flagsPart(argv).find((a) => NEGATIVE.test(a));
  if (number === undefined) return null;
  const following = /^Not enough arguments following: (\S+)/.exec(yargsMessage);
  if (following !== null) return `--${following[1]} must be ≥ 0: ${number}`;
  if (!/Unknown argument|Not enough non-option arguments/.test(yargsMessage)) return null;
  return `address must be ≥ 0: ${number} (nestvm takes no negative numbers)`;
}
