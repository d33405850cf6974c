/*
 * `nestvm lab grade <lab> [DIR]`: grade the submission in DIR (default .) and print one line per
 * check and the score (cli/lab/grade-text.ts), or --json. --gradescope [FILE] also writes
 * Gradescope's results.json (default ./results.json), --junit FILE JUnit XML.
 *
 * The seed: --seed or --student, else the folder's lab.json, else 0. Exit status 0 only for full
 * marks, 12 (EXIT.labIncomplete) for any lower score; the report files are written either way.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { gradeLab } from '../../labs/framework/grader.js';
import { LAB_RECORD } from '../../labs/framework/handout.js';
import type { LabDefinition } from '../../labs/framework/lab-api.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { gradeJson, gradeText } from '../lab/grade-text.js';
import { gradescopeResults } from '../lab/gradescope.js';
import { junitXml } from '../lab/junit.js';
import { parseLab } from '../lab/lab-arg.js';
import { seedFromArgs, withSeedOptions, type SeedArgs } from '../lab/seed-options.js';
import { parseCount } from '../parse.js';
import { handle, type Args, type CommandFactory } from './handle.js';

interface GradeArgs extends SeedArgs {
  lab: LabDefinition;
  dir: string;
  json: boolean;
  gradescope?: string;
  junit?: string;
  'time-limit'?: number;
}

export const labGradeCommand: CommandFactory = (ctx) => ({
  command: 'grade <lab> [dir]',
  describe: 'grade the submission in DIR (default .): one line per check, then the score',
  builder: gradeOptions,
  handler: handle<GradeArgs>((args) => grade(ctx, args)),
});

function gradeOptions(y: Argv) {
  return withSeedOptions(
    y
      .positional('lab', { type: 'string', describe: 'the lab (see nestvm lab list)', coerce: parseLab })
      .positional('dir', { type: 'string', default: '.', describe: 'the submission folder' })
      .option('json', { type: 'boolean', default: false, describe: 'print the grade as one JSON object' })
      .option('gradescope', {
        type: 'string',
        describe: "also write Gradescope's results.json to FILE (default ./results.json)",
      })
      .option('junit', { type: 'string', requiresArg: true, describe: 'also write JUnit XML to FILE' })
      .option('time-limit', {
        type: 'string',
        requiresArg: true,
        describe: "each check's time limit in ms, instead of the lab's own",
        coerce: (v: unknown) => parseCount('time-limit', v),
      }),
  )
    .example('$0 lab grade entries', 'grade the lab in the current folder')
    .example('$0 lab grade walk2d sub/ --student "$ID" --gradescope /autograder/results/results.json', '');
}

/* The seed of a folder's lab.json, checking that it is this lab's. */
function recordedSeed(lab: LabDefinition, dir: string): number | undefined {
  const path = join(dir, LAB_RECORD);
  if (!existsSync(path)) return undefined;
  let record: { lab?: unknown; seed?: unknown };
  try {
    record = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UsageError(`${path} is not valid JSON (lab start writes it; give --seed or --student instead)`);
  }
  if (record.lab !== lab.id) throw new UsageError(`${path} is for lab ${String(record.lab)}, not ${lab.id}`);
  if (!Number.isSafeInteger(record.seed)) throw new UsageError(`${path} has no whole-number seed`);
  return record.seed as number;
}

async function grade(ctx: CliContext, args: Args<GradeArgs>): Promise<void> {
  const dir = args.dir;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`);
  const seed = seedFromArgs(args) ?? recordedSeed(args.lab, dir) ?? 0;
  const g = await gradeLab(args.lab, { dir, seed, timeLimitMs: args['time-limit'] });
  ctx.stdout.write(args.json ? JSON.stringify(gradeJson(g)) + '\n' : gradeText(g));
  if (args.gradescope !== undefined)
    writeFileSync(args.gradescope || 'results.json', JSON.stringify(gradescopeResults(g), null, 2) + '\n');
  if (args.junit !== undefined) writeFileSync(args.junit, junitXml(g));
  ctx.status = g.score === g.max ? EXIT.ok : EXIT.labIncomplete;
}
