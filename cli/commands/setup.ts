/*
 * `nestvm setup` (also `nestvm doctor`): make sure Unicorn 2.1 is there, then say what nestvm
 * found. It is the set-up step of an installed package, which has no `npm run setup`.
 *
 * The finding and fetching is scripts/setup.sh's, run with `--unicorn-only --cache DIR`: the same
 * order as in a clone (NESTVM_LIBUNICORN, a system libunicorn.so.2 of 2.1 or later, then on
 * Debian/Ubuntu as root Debian trixie's libunicorn2t64 fetched with a private apt configuration),
 * but no npm ci and no build. DIR is where the fetch goes and the choice is recorded: the clone's
 * .cache/ in a clone, the per-user cache (~/.cache/nestvm, or $XDG_CACHE_HOME/nestvm) in an
 * installed package (emulator/unicorn/library-cache.ts). The script's progress lines pass straight
 * through to stderr. When it cannot get a usable Unicorn it prints one line naming what to install
 * on this system and exits 8; so does this command, with nothing more written. Otherwise the
 * report (cli/setup-report.ts) goes to stdout, as text or, with --json, one JSON object.
 */
import { spawn } from 'node:child_process';
import type { Argv } from 'yargs';
import { PACKAGE_ROOT, packagePath } from '../../emulator/package-root.js';
import { installHint } from '../../emulator/unicorn/install-hint.js';
import { setupCacheDir } from '../../emulator/unicorn/library-cache.js';
import type { Output } from '../context.js';
import { EnvironmentError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { setupReport, setupText, type TerminalProbe } from '../setup-report.js';
import { handle, type CommandFactory } from './handle.js';

interface SetupArgs {
  json: boolean;
}

/** Runs scripts/setup.sh for Unicorn only, its stderr passed on to `stderr`; resolves to its status. */
export function runSetupScript(cacheDir: string, stderr: Output, env = process.env): Promise<number> {
  const script = packagePath('scripts', 'setup.sh');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, '--unicorn-only', '--cache', cacheDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => stderr.write(text));
    child.on('error', (e) =>
      reject(new EnvironmentError(`cannot run ${script} (${e.message}); ${installHint()}`)),
    );
    child.on('close', (code, signal) =>
      resolve(code ?? (signal === null ? EXIT.internal : EXIT.environment)),
    );
  });
}

export const setupCommand: CommandFactory = (ctx) => ({
  command: 'setup',
  aliases: ['doctor'],
  describe: 'find or fetch Unicorn 2.1, then report what nestvm uses (Unicorn, koffi, Ink, the terminal)',
  builder: (y: Argv) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print the report as one JSON object' })
      .example('$0 setup', 'after npm install -g nestvm: get Unicorn into ~/.cache/nestvm and check it'),
  handler: handle<SetupArgs>(async (args) => {
    const cacheDir = setupCacheDir(process.env, PACKAGE_ROOT);
    if (cacheDir === null)
      throw new EnvironmentError(
        'no cache folder: set HOME or XDG_CACHE_HOME so set-up knows where to keep Unicorn',
      );
    const status = await runSetupScript(cacheDir, ctx.stderr);
    if (status === EXIT.environment) {
      ctx.status = status; // the script has said, in one line, what to install
      return;
    }
    if (status !== 0) throw new EnvironmentError(`scripts/setup.sh stopped with status ${status}`);
    const report = setupReport(ctx.stdout as TerminalProbe, process.env, cacheDir);
    ctx.stdout.write(args.json ? JSON.stringify(report) + '\n' : setupText(report));
  }),
});
