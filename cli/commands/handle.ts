/*
 * What every command module shares with the command list: the factory type and `handle`, which
 * gives a handler the argument type its builder declared. It lives apart from the list
 * (commands/index.ts) so that a command module never imports the module that imports it.
 */
import type { ArgumentsCamelCase, CommandModule } from 'yargs';
import type { CliContext } from '../context.js';

/** A command's arguments as its handler sees them (yargs adds `_` and `$0`). */
export type Args<T> = ArgumentsCamelCase<T>;

// Each file exports a factory that closes over the CLI context (output streams, exit status).
// The module's own argument type is erased here: yargs checks it in the builder.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CommandFactory = (ctx: CliContext) => CommandModule<any, any>;

/** Gives a handler the argument type its builder declared (yargs cannot infer coerced types). */
export const handle =
  <A>(fn: (args: Args<A>) => void | Promise<void>) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (args: ArgumentsCamelCase<any>): void | Promise<void> =>
    fn(args as Args<A>);
