// The command list, in the order `nestvm --help` shows them.
import type { ArgumentsCamelCase, CommandModule } from 'yargs';
import type { CliContext } from '../context.js';
import { disasmCommand } from './disasm.js';
import { guestsCommand } from './guests.js';
import { runCommand } from './run.js';
import { tuiCommand } from './tui.js';
import { walkCommand } from './walk.js';

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

export const commands: CommandFactory[] = [runCommand, tuiCommand, walkCommand, disasmCommand, guestsCommand];
