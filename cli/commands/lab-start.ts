/*
 * `nestvm lab start <lab> [DIR]`: write the handout, the skeleton, a package.json and lab.json
 * into DIR (default ./<lab>), then print the next steps. A DIR that exists and is not empty is
 * refused unless --force (then the lab's files are overwritten and nothing else is touched).
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Argv } from 'yargs';
import { handoutFiles, type LabRecord } from '../../labs/framework/handout.js';
import type { LabDefinition } from '../../labs/framework/lab-api.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { parseLab } from '../lab/lab-arg.js';
import { seedFromArgs, withSeedOptions, type SeedArgs } from '../lab/seed-options.js';
import { packageVersion } from '../yargs-lean.js';
import { handle, type Args, type CommandFactory } from './handle.js';

interface StartArgs extends SeedArgs {
  lab: LabDefinition;
  dir?: string;
  force: boolean;
}

export const labStartCommand: CommandFactory = (ctx) => ({
  command: 'start <lab> [dir]',
  describe: 'write a lab (handout README.md, skeleton, package.json) into DIR (default ./<lab>)',
  builder: (y: Argv) =>
    withSeedOptions(
      y
        .positional('lab', { type: 'string', describe: 'the lab (see nestvm lab list)', coerce: parseLab })
        .positional('dir', { type: 'string', describe: 'the folder to write (default ./<lab>)' })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'write into a folder that is not empty',
        }),
    ).example('$0 lab start entries --student ada@example.edu', "Ada's own parameters, in ./entries"),
  handler: handle<StartArgs>((args) => start(ctx, args)),
});

function start(ctx: CliContext, args: Args<StartArgs>): void {
  const lab = args.lab;
  const dir = args.dir ?? lab.id;
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} exists and is not a folder`);
    if (readdirSync(dir).length > 0 && !args.force)
      throw new UsageError(`${dir} is not empty: choose an empty folder, or give --force to write into it`);
  }
  const record: LabRecord = {
    lab: lab.id,
    seed: seedFromArgs(args) ?? 0,
    ...(args.student === undefined ? {} : { student: args.student }),
  };
  const files = handoutFiles(lab, record, packageVersion());
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f.name), f.text);
  const shown = relative('.', dir) || '.';
  const edit = lab.files.join(', ');
  ctx.stdout.write(
    [
      `started lab ${lab.id} (${lab.title}, seed ${record.seed}) in ${shown}/: ${files.map((f) => f.name).join(', ')}`,
      'next:',
      `  cd ${shown}`,
      `  read README.md, then do the TODOs in ${edit}`,
      `  nestvm lab grade ${lab.id} .     (or npm run grade; npm install first gives your editor nestvm's types)`,
      '',
    ].join('\n'),
  );
}
