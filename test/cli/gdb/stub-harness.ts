// Runs `nestvm run ... --gdb 0` in-process and hands the test the port the stub printed, then the
// run's result; and runs the real gdb-multiarch in batch mode against it.
import { spawn } from 'node:child_process';
import { main } from '../../../cli/main.js';

export interface StubRun {
  port: number;
  done: Promise<{ status: number; stdout: string; stderr: string }>;
}

export function startStub(...argv: string[]): Promise<StubRun> {
  let stdout = '';
  let stderr = '';
  let announce: (port: number) => void = () => {};
  const port = new Promise<number>((resolve) => (announce = resolve));
  const done = main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: {
      write: (t: string) => {
        stderr += t;
        const m = /gdb stub listening on [^ ]+:(\d+)/.exec(t);
        if (m) announce(Number(m[1]));
      },
    },
  }).then((status) => ({ status, stdout, stderr }));
  return Promise.race([
    port.then((p) => ({ port: p, done })),
    done.then((r) => {
      throw new Error(`the stub ended before listening: ${r.stderr}`);
    }),
  ]);
}

/** gdb-multiarch -batch with one -ex per command; its combined output. */
export function runGdb(port: number, commands: string[]): Promise<string> {
  const args = [
    '-batch',
    '-nx',
    '-ex',
    `target remote 127.0.0.1:${port}`,
    ...commands.flatMap((c) => ['-ex', c]),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('gdb-multiarch', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}
