/*
 * `nestvm lab list`: the labs, one line each (id, points, title, topic), or --json.
 */
import type { Argv } from 'yargs';
import { LABS } from '../../labs/index.js';
import { labPoints } from '../../labs/framework/lab-api.js';
import type { CliContext } from '../context.js';
import { handle, type CommandFactory } from './handle.js';

interface ListArgs {
  json: boolean;
}

export const labListCommand: CommandFactory = (ctx) => ({
  command: 'list',
  describe: 'list the labs with their title, topic and points',
  builder: (y: Argv) =>
    y.option('json', { type: 'boolean', default: false, describe: 'print the list as JSON instead' }),
  handler: handle<ListArgs>((args) => list(ctx, args.json)),
});

function list(ctx: CliContext, json: boolean): void {
  const rows = LABS.map((l) => ({ id: l.id, title: l.title, topic: l.topic, points: labPoints(l) }));
  if (json) {
    ctx.stdout.write(JSON.stringify(rows) + '\n');
    return;
  }
  const width = Math.max(...rows.map((r) => r.id.length));
  for (const r of rows)
    ctx.stdout.write(
      `${r.id.padEnd(width)}  ${String(r.points).padStart(3)} points  ${r.title} (${r.topic})\n`,
    );
  ctx.stdout.write('start one with: nestvm lab start <lab> [DIR]\n');
}
