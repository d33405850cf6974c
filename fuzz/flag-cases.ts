/*
 * Command lines made by chance: `run` or `walk` of a bundled hello.s with a random set of options,
 * each given a hostile value, plus the named bad command lines of the first campaign, which must be
 * refused with one line and exit 2.
 */
import type { Rng } from './rng.js';

export interface FlagCase {
  name: string;
  argv: string[];
  want?: readonly number[];
}

const HELLO = { x86_64: 'guests/x86_64/hello.s', arm64: 'guests/arm64/hello.s' };
const OPTIONS = ['--mem', '--host-mem', '--arch', '--format', '--max-insns', '--timeout', '--load', '--json'];
const VALUES = [
  '',
  '0',
  '-1',
  'abc',
  '1e400',
  '0x',
  '16M',
  '4G',
  '8G',
  '99999999999999999999',
  'NaN',
  '1.5',
  'ept',
  's2',
  'x86_64',
  'arm64',
  '0x100000',
  '1e3',
];

/** The named bad command lines (guest paths are relative to the package root). */
export function namedFlagCases(rawBin: string): FlagCase[] {
  const bad = (...argv: string[]): FlagCase => ({ name: argv.join(' '), argv, want: [2] });
  return [
    bad('run', HELLO.x86_64, '--mem', '8G'),
    bad('run', HELLO.x86_64, '--mem', '4G'),
    bad('run', HELLO.x86_64, '--mem', '4095M'),
    bad('run', HELLO.x86_64, '--host-mem', '5G'),
    bad('run', rawBin, '--arch', 'arm64', '--arch', 'x86_64'),
    bad('run', HELLO.x86_64, '--mem'),
    bad('run', HELLO.x86_64, '--json', '--json=foo'),
    bad('walk', HELLO.x86_64, '-0x10', '--virtual'),
    bad('run', '/dev/zero', '--arch', 'x86_64'),
  ];
}

export function randomFlagCase(rng: Rng, i: number): FlagCase {
  const arch = rng.pick(['x86_64', 'arm64'] as const);
  const argv = rng.below(4) === 0 ? ['walk', HELLO[arch], rng.pick(VALUES)] : ['run', HELLO[arch]];
  for (let k = rng.below(4); k >= 0; k--) {
    const opt = rng.pick(OPTIONS);
    const value = rng.pick(VALUES);
    if (rng.below(5) === 0) argv.push(opt);
    else argv.push(value === '' ? `${opt}=` : `${opt}=${value}`);
  }
  return { name: `${argv.join(' ')} #${i}`, argv };
}
