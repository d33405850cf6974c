/*
 * The bundled executable's compile cache (cli/launch.ts), through the built executable: a run
 * leaves one file for its command in the clone's .cache/v8/, a later run reads it back and prints
 * the same, a corrupt file is compiled past and replaced, a usage error keeps nothing, and
 * NESTVM_COMPILE_CACHE=off keeps nothing and still prints the same.
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { spawnCli } from './spawn.js';

const DIR = join(PACKAGE_ROOT, '.cache', 'v8');
const COMMAND = 'walk'; // one that no other test starts as a process, so no other run writes its file
const ARGV = [COMMAND, 'hello', '0x100000'];

/** This Node's cache files for COMMAND. */
function files(): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(DIR);
  } catch {
    /* no folder yet */
  }
  return names.filter((n) => n.includes(`-${process.version}-`) && n.endsWith(`-${COMMAND}.bin`));
}

async function run(env: NodeJS.ProcessEnv = {}) {
  return spawnCli(ARGV, env).done;
}

describe('the compile cache of the bundled executable', () => {
  it('keeps one file per command, read back by the next run with the same output', async () => {
    for (const f of files()) rmSync(join(DIR, f), { force: true });
    const first = await run();
    expect(first.status).toBe(0);
    expect(files()).toHaveLength(1);
    const file = join(DIR, files()[0]);
    const written = statSync(file).mtimeMs;
    const second = await run();
    expect([second.status, second.stdout, second.stderr]).toEqual([0, first.stdout, first.stderr]);
    expect(statSync(file).mtimeMs).toBe(written); // accepted, so not written again
  });

  it('compiles past a corrupt file and replaces it', async () => {
    const good = await run();
    const file = join(DIR, files()[0]);
    writeFileSync(file, 'not V8 code');
    const past = await run();
    expect([past.status, past.stdout, past.stderr]).toEqual([0, good.stdout, good.stderr]);
    expect(readFileSync(file, 'utf8')).not.toBe('not V8 code');
  });

  it('keeps nothing after a usage error', async () => {
    for (const f of files()) rmSync(join(DIR, f), { force: true });
    const bad = await spawnCli([COMMAND, 'hello', 'not-an-address']).done;
    expect(bad.status).toBe(2);
    expect(files()).toEqual([]);
  });

  it('with NESTVM_COMPILE_CACHE=off keeps nothing and prints the same', async () => {
    const good = await run();
    for (const f of files()) rmSync(join(DIR, f), { force: true });
    const off = await run({ NESTVM_COMPILE_CACHE: 'off' });
    expect([off.status, off.stdout, off.stderr]).toEqual([0, good.stdout, good.stderr]);
    expect(files()).toEqual([]);
  });
});
