/*
 * `nestvm lab <list|start|grade>`: coursework labs with offline graders (labs/README.md is the
 * instructors' guide). Each subcommand is its own file: lab-list.ts, lab-start.ts, lab-grade.ts.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import type { CommandFactory } from './handle.js';
import { labGradeCommand } from './lab-grade.js';
import { labListCommand } from './lab-list.js';
import { labStartCommand } from './lab-start.js';

export const labCommand: CommandFactory = (ctx) => ({
  command: 'lab',
  describe: 'coursework labs: list them, start one in a folder, grade a submission',
  builder: (y: Argv) =>
    y
      .command(labListCommand(ctx))
      .command(labStartCommand(ctx))
      .command(labGradeCommand(ctx))
      .demandCommand(1, 'name a lab command: list, start or grade'),
  handler: () => {
    throw new UsageError('name a lab command: list, start or grade (see nestvm lab --help)');
  },
});
