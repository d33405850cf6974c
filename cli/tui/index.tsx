/*
 * Entry point of the live terminal UI: `startTui(session, opts)` draws the App with Ink and
 * resolves when the user quits.
 *
 * Terminal hygiene is the point of this file:
 *   - on a TTY the UI runs in the alternate screen, so quitting gives back the shell screen as it
 *     was; Ink hides the cursor while drawing and shows it again on exit;
 *   - Ctrl+C exits like q (exitOnCtrlC); either way session.close() runs exactly once, even if
 *     rendering throws or startTui refuses to start: from the call on, startTui owns the session;
 *   - on resize the App is re-rendered with the new size (the size is a prop, never read inside).
 *
 * The caller (cli/commands/tui.ts) checks that stdout is a TTY before calling this. Keys need stdin
 * in raw mode, which only a terminal has, so a non-TTY stdin is refused here with an
 * EnvironmentError (one clear line from the CLI) before anything is drawn.
 */
import { render } from 'ink';
import { App } from './app.js';
import { EnvironmentError } from '../errors.js';
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
}

const ENTER_ALT_SCREEN = '\u001B[?1049h';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';

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
      onClose={close}
    />
  );
  if (alt) stdout.write(ENTER_ALT_SCREEN);
  try {
    const instance = render(tree(), {
      stdout,
      stdin,
      stderr: opts.stderr ?? process.stderr,
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
    if (alt) stdout.write(LEAVE_ALT_SCREEN);
  }
}
