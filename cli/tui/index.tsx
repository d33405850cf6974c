/*
 * Entry point of the live terminal UI: `startTui(session, opts)` draws the App with Ink and
 * resolves when the user quits.
 *
 * Terminal hygiene is the point of this file:
 *   - on a TTY the UI runs in the alternate screen, so quitting gives back the shell screen as it
 *     was; Ink hides the cursor while drawing and shows it again on exit;
 *   - Ctrl+C exits like q (exitOnCtrlC); either way session.close() runs exactly once, even if
 *     rendering throws or startTui refuses to start: from the call on, startTui owns the session;
 *   - before it leaves the alternate screen it clears it: a terminal that was resized while the
 *     view ran may otherwise copy lines of the last frame into the shell's screen (tmux 3.3 does,
 *     after growing from 80x24 to 120x40), so quitting after any resize leaves no residue;
 *   - on resize the App is re-rendered with the new size (the size is a prop, never read inside);
 *   - NO_COLOR (colours.ts) turns every colour off; bold, dim and inverse stay;
 *   - Ink's drawing fast paths are installed here, at the start (ink-patches.ts); on an Ink they
 *     were not written for, one line on stderr says so and Ink draws on its own path.
 *
 * The caller (cli/commands/tui.ts) checks that stdout is a TTY before calling this. Keys need stdin
 * in raw mode, which only a terminal has, so a non-TTY stdin is refused here with an
 * EnvironmentError (one clear line from the CLI) before anything is drawn.
 */
import { render } from 'ink';
import { App } from './app.js';
import { EnvironmentError } from '../errors.js';
import { coloursWanted } from './colours.js';
import { installInkPatches } from './ink-patches.js';
import type { TuiSession } from './model.js';

export type { TuiSession, TuiSnapshot, ActionOutcome } from './model.js';

export interface StartTuiOptions {
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
  readonly stderr?: NodeJS.WriteStream;
  /** Snapshot interval in ms (default 100). */
  readonly refreshMs?: number;
  /** Use the terminal's alternate screen (default: when stdout is a TTY). */
  readonly altScreen?: boolean;
  /** Let Ink capture console output so stray logs cannot tear the screen (default true). */
  readonly patchConsole?: boolean;
  /** Draw in colour (default: unless NO_COLOR is set, colours.ts). */
  readonly colour?: boolean;
}

const ENTER_ALT_SCREEN = '\u001B[?1049h';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';
/** Erase the whole (alternate) screen and home the cursor. */
const CLEAR_SCREEN = '\u001B[2J\u001B[H';

export async function startTui(session: TuiSession, opts: StartTuiOptions = {}): Promise<void> {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  if (!stdin.isTTY) {
    session.close();
    throw new EnvironmentError(
      'the live view reads keys, but stdin is not a terminal (use `nestvm run` instead)',
    );
  }
  const alt = opts.altScreen ?? Boolean(stdout.isTTY);
  const stderr = opts.stderr ?? process.stderr;
  const patches = await installInkPatches();
  if (patches.note) stderr.write(patches.note + '\n');
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    session.close();
  };
  const tree = () => (
    <App
      session={session}
      columns={stdout.columns || 80}
      rows={stdout.rows || 24}
      refreshMs={opts.refreshMs}
      colour={opts.colour ?? coloursWanted()}
      onClose={close}
    />
  );
  if (alt) stdout.write(ENTER_ALT_SCREEN);
  try {
    const instance = render(tree(), {
      stdout,
      stdin,
      stderr,
      exitOnCtrlC: true,
      patchConsole: opts.patchConsole ?? true,
      maxFps: 20,
    });
    const onResize = () => instance.rerender(tree());
    stdout.on('resize', onResize);
    try {
      await instance.waitUntilExit();
    } finally {
      stdout.off('resize', onResize);
    }
  } finally {
    close();
    if (alt) stdout.write(CLEAR_SCREEN + LEAVE_ALT_SCREEN);
  }
}
