/*
 * nestvm's command line. One yargs command per file in cli/commands/; validation is declared in each
 * builder; every error, whether from yargs, a loader, Unicorn or a broken invariant, ends in the
 * single handler of cli/errors.ts, which prints one line and picks the exit status.
 */
import yargs, { type MiddlewareFunction } from 'yargs';
import { commands } from './commands/index.js';
import type { CliContext } from './context.js';
import { reportError, UsageError } from './errors.js';
import { packageVersion, skipHelpCache } from './yargs-lean.js';
import {
  checkBooleanValues,
  checkSingleValues,
  declaredOptions,
  negativeNumberReason,
} from './flag-checks.js';

export async function main(argv: string[], io?: Partial<CliContext>): Promise<number> {
  const ctx: CliContext = {
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    status: 0,
  };
  const verbose = argv.includes('--verbose');
  const cli = yargs(argv)
    .scriptName('nestvm')
    .usage('$0 <command> [options]\n\nRuns tiny x86-64 and arm64 guests through a nested paging layer.')
    .option('verbose', { type: 'boolean', default: false, describe: 'show stack traces on errors' })
    .strict()
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(packageVersion())
    .completion(
      'completion',
      'print a bash completion script (add `source <(nestvm completion)` to ~/.bashrc)',
    )
    .wrap(Math.min(110, process.stdout.columns || 80))
    .exitProcess(false)
    // yargs hands middleware its instance too (not in its types): the command's declared options.
    .middleware(((args: Record<string, unknown>, y: unknown) => {
      checkSingleValues(args, declaredOptions(y));
      checkBooleanValues(argv, declaredOptions(y));
    }) as unknown as MiddlewareFunction)
    .fail((msg, err) => {
      // yargs reports its own validation (and our coerce errors) as YError or as a bare message.
      if (err && err.name !== 'YError') throw err;
      // A negative number read as short flags makes yargs miss an argument or meet unknown ones.
      const negative = negativeNumberReason(argv, msg ?? '');
      if (negative !== null) throw new UsageError(negative);
      const text = (msg ?? err?.message ?? 'invalid arguments').replace(/\s*\n\s*/g, ' ').trim();
      throw new UsageError(`${text} (see nestvm --help)`);
    });
  for (const command of commands) cli.command(command(ctx));
  skipHelpCache(cli);
  try {
    const out = await cli.parseAsync();
    void out;
  } catch (err) {
    return reportError(err, verbose, ctx.stderr);
  }
  return ctx.status;
}
