// startTui: draws in the alternate screen, quits on q or Ctrl+C, closes the session exactly once,
// gives the screen back (cleared first, so no frame can leak into the shell's screen), follows
// terminal resizes, honours NO_COLOR, and installs Ink's fast paths itself.
import { describe, expect, it } from 'vitest';
import { startTui } from '../../../cli/tui/index.js';
import { FakeSession } from './fake-session.js';
import { FakeStdin, FakeStdout, tick } from './render-at.js';

const ENTER = '\u001B[?1049h';
const LEAVE = '\u001B[?1049l';
const CLEAR = '\u001B[2J\u001B[H';

function io(columns = 80, rows = 24) {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const opts = {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: new FakeStdout(columns, rows) as unknown as NodeJS.WriteStream,
    refreshMs: 20,
    patchConsole: false, // vitest's console cannot be patched
  };
  return { stdout, stdin, opts, text: () => stdout.frames.join('') };
}

describe('startTui', () => {
  it('q quits: session closed once, alternate screen entered and left', async () => {
    const session = new FakeSession();
    const t = io();
    const done = startTui(session, t.opts);
    await tick(30);
    expect(t.stdout.frames[0]).toBe(ENTER);
    expect(t.text()).toContain('1 CPU');
    t.stdin.write('q');
    await done;
    expect(session.closed).toBe(1);
    expect(t.stdout.frames[t.stdout.frames.length - 1]).toBe(CLEAR + LEAVE);
  });

  it('Ctrl+C quits the same way', async () => {
    const session = new FakeSession({ arch: 'arm64' });
    const t = io();
    const done = startTui(session, { ...t.opts, altScreen: false });
    await tick(30);
    t.stdin.write('\u0003');
    await done;
    expect(session.closed).toBe(1);
    expect(t.text()).not.toContain(ENTER);
  });

  it('refuses a stdin that is not a terminal, before drawing anything', async () => {
    const session = new FakeSession();
    const t = io();
    t.stdin.isTTY = false;
    await expect(startTui(session, t.opts)).rejects.toThrow(/stdin is not a terminal/);
    expect(t.stdout.frames).toEqual([]);
    expect(session.closed).toBe(1);
  });

  it('re-lays out on resize', async () => {
    const session = new FakeSession();
    const t = io(80, 24);
    const done = startTui(session, t.opts);
    await tick(30);
    expect(t.text()).not.toContain('Tab: next pane');
    t.stdout.columns = 160;
    t.stdout.rows = 48;
    t.stdout.emit('resize');
    await tick(60);
    expect(t.text()).toContain('Tab: next pane');
    t.stdin.write('q');
    await done;
    expect(session.closed).toBe(1);
  });
});
