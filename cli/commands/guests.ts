/*
 * `nestvm guests`: list the bundled sample guests (guests/index.json) by name, with their
 * architectures and absolute paths, so a new user can run one by name from any folder
 * (`nestvm run memtouch --arch arm64`) or copy its path.
 *
 * The text lists each short name once with its description (the first architecture's, without
 * its closing "(console; exit)" note, which the architectures do not share), then one line per
 * architecture with the file. `--json` prints every sample of guests/index.json as it is there,
 * with `path` and `expected` made absolute and the short name added as `shortName`.
 */
import type { Argv } from 'yargs';
import { join } from 'node:path';
import { ARCHES } from '../../emulator/arch.js';
import { listSamples, sampleName, sampleNames, type GuestSample } from '../../emulator/loaders/index.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { handle, type CommandFactory } from './handle.js';

interface GuestsArgs {
  arch?: (typeof ARCHES)[number];
  json: boolean;
}

const asJson = (s: GuestSample) => ({
  ...s,
  shortName: sampleName(s),
  path: join(PACKAGE_ROOT, s.path),
  expected: join(PACKAGE_ROOT, s.expected),
});

/** A description without its closing parenthesised note. */
const gist = (description: string): string => description.replace(/\s*\([^()]*\)\s*$/, '');

function listing(samples: GuestSample[]): string {
  const names = sampleNames(samples);
  const width = Math.max(8, ...names.map((n) => n.length));
  const lines: string[] = [];
  for (const name of names) {
    const mine = samples.filter((s) => sampleName(s) === name);
    lines.push(`${name.padEnd(width)}  ${gist(mine[0].description)}`);
    for (const s of mine) lines.push(`  ${s.arch.padEnd(width - 2)}  ${join(PACKAGE_ROOT, s.path)}`);
  }
  lines.push(
    '',
    'run one by name from any folder: nestvm run memtouch, nestvm run memtouch --arch arm64',
    '',
  );
  return lines.join('\n');
}

export const guestsCommand: CommandFactory = (ctx) => ({
  command: 'guests',
  describe: 'list the bundled sample guests: names, architectures, files',
  builder: (y: Argv) =>
    y
      .option('arch', { choices: ARCHES, requiresArg: true, describe: 'only this architecture' })
      .option('json', { type: 'boolean', default: false, describe: 'print the list as JSON' }),
  handler: handle<GuestsArgs>((args) => {
    const samples = listSamples(PACKAGE_ROOT).filter((s) => !args.arch || s.arch === args.arch);
    if (args.json) ctx.stdout.write(JSON.stringify(samples.map(asJson), null, 2) + '\n');
    else ctx.stdout.write(listing(samples));
  }),
});
