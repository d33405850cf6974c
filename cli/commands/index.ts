// The command list, in the order `nestvm --help` shows them.
import { dirtyRateCommand } from './dirty-rate.js';
import { disasmCommand } from './disasm.js';
import { guestsCommand } from './guests.js';
import { memCommand } from './mem.js';
import type { CommandFactory } from './handle.js';
import { labCommand } from './lab.js';
import { migrateCommand } from './migrate.js';
import { runCommand } from './run.js';
import { setupCommand } from './setup.js';
import { tuiCommand } from './tui.js';
import { walkCommand } from './walk.js';
import { xpCommand } from './xp.js';

// Re-exported for command modules that still import them from here; new code imports handle.js.
export { handle, type Args, type CommandFactory } from './handle.js';

export const commands: CommandFactory[] = [
  runCommand,
  tuiCommand,
  walkCommand,
  migrateCommand,
  memCommand,
  xpCommand,
  dirtyRateCommand,
  disasmCommand,
  guestsCommand,
  labCommand,
  setupCommand,
];
