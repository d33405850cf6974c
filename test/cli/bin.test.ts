/*
 * The built executable, where only a real process shows the behaviour: a reader that closes the
 * pipe early, and the bash completion script yargs prints.
 */
import { describe, expect, it } from 'vitest';
import { spawnCli } from './spawn.js';

describe('nestvm as a process', () => {
  it.each([
    ['guests', ['guests']],
    ['disasm', ['disasm', 'guests/x86_64/paging.s']],
  ])('ends quietly when stdout is closed early (%s)', async (_name, argv) => {
    const { child, done } = spawnCli(argv);
    child.stdout!.destroy(); // the reader is gone before the first line is written
    const r = await done;
    expect(r.stderr).not.toMatch(/EPIPE|Error|at .*\.js:\d+/);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('prints a bash completion script naming the program', async () => {
    const r = await spawnCli(['completion']).done;
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/nestvm/);
    expect(r.stdout).toMatch(/complete -o .* nestvm/);
  });

  it('completes command names and a command options', async () => {
    const r = await spawnCli(['--get-yargs-completions', 'nestvm', 'run', 'x.s', '--']).done;
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['--max-insns', '--json']));
  });
});
