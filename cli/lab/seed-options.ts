/*
 * --seed N and --student ID, the two ways `lab start` and `lab grade` are told a student's
 * parameters (labs/framework/seeded-rng.ts): a seed in [0, 2^32), or an id hashed to one. At most
 * one of them is given; neither means "the folder's lab.json" for `lab grade` and seed 0 for
 * `lab start`.
 */
import type { Argv } from 'yargs';
import { MAX_SEED, studentSeed } from '../../labs/framework/seeded-rng.js';
import { UsageError } from '../errors.js';
import { oneValue } from '../parse.js';

export interface SeedArgs {
  seed?: number;
  student?: string;
}

export function parseSeed(raw: unknown): number {
  const text = oneValue('seed', raw).replace(/_/g, '');
  const n = Number(text);
  if (text === '' || !Number.isSafeInteger(n) || n < 0 || n > MAX_SEED)
    throw new UsageError(`--seed: '${text}' is not a whole number from 0 to ${MAX_SEED}`);
  return n;
}

export function withSeedOptions<T>(y: Argv<T>) {
  return y
    .option('seed', {
      type: 'string',
      requiresArg: true,
      describe: 'the per-student seed (0 to 4294967295)',
      coerce: parseSeed,
    })
    .option('student', {
      type: 'string',
      requiresArg: true,
      describe: 'a student id (e-mail, login), hashed to the seed',
      coerce: (v: unknown) => {
        const id = oneValue('student', v);
        if (id === '') throw new UsageError('--student needs an id (an e-mail address or a login)');
        return id;
      },
    })
    .check((a: Record<string, unknown>) => {
      if (a.seed !== undefined && a.student !== undefined)
        throw new UsageError('--seed and --student both choose the parameters: give one');
      return true;
    });
}

/** The seed the flags ask for, or undefined when neither was given. */
export const seedFromArgs = (a: SeedArgs): number | undefined =>
  a.seed ?? (a.student === undefined ? undefined : studentSeed(a.student));
