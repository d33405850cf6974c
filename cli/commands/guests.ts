/*
 * `nestvm guests`: list the bundled sample guests (guests/index.json) with their paths, so a new
 * user can copy a path straight into `nestvm run`.
 */
import type { Argv } from 'yargs';
import { ARCHES } from '../../emulator/arch.js';
import { listSamples } from '../../emulator/loaders/index.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { handle, type CommandFactory } from './index.js';

interface GuestsArgs {
  arch?: (typeof ARCHES)[number];
  json: boolean;
}

export const guestsCommand: CommandFactory = (ctx) => ({
  command: 'guests',
  describe: 'list the bundled sample guests',
  builder: (y: Argv) =>
    y
      .option('arch', { choices: ARCHES, requiresArg: true, describe: 'only this architecture' })
      .option('json', { type: 'boolean', default: false, describe: 'print the list as JSON' }),
  handler: handle<GuestsArgs>((args) => {
    const samples = listSamples(PACKAGE_ROOT).filter((s) => !args.arch || s.arch === args.arch);
    if (args.json) {
      ctx.stdout.write(JSON.stringify(samples, null, 2) + '\n');
      return;
    }
    const width = Math.max(...samples.map((s) => s.path.length));
    for (const arch of ARCHES) {
      const mine = samples.filter((s) => s.arch === arch);
      if (mine.length === 0) continue;
      ctx.stdout.write(`${arch}:\n`);
      for (const s of mine) ctx.stdout.write(`  ${s.path.padEnd(width)}  ${s.description}\n`);
    }
    ctx.stdout.write('\nrun one with: nestvm run <path>\n');
  }),
});
