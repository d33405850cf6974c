/*
 * The live view in a real terminal: the built CLI (`node dist/cli/bin.js tui ...`) runs inside a
 * detached tmux session of 120x40, keys are typed with send-keys, and what the terminal shows is
 * read back with capture-pane, as a user would see it. Each key is sent on its own and the test
 * waits (polling, with a generous limit) for its visible effect before the next: Ink reads one key
 * per input chunk, and the TUI starts reading keys only once it has drawn its first screen.
 *
 * Checked: the panes are drawn; step, the speed keys, run, harvest, evict and help do what the
 * status bar, the fault log and the help screen say; q exits with status 0 and gives the terminal
 * back (tmux reports the alternate screen left and the cursor visible again, and the TUI is gone
 * from the pane); every action is in the --trace file. The environment keeps CI=true as in CI:
 * the command must draw anyway. tmux is required (scripts/setup.sh test installs it): without it this fails.
 *
 * Two more sessions: one starts at 80x24, is grown to 120x40 while the view runs, and must get
 * its shell screen back clean after q (no line of the last frame left above the prompt); one runs
 * with NO_COLOR=1, and its screen (capture-pane -e, with the escape codes) must hold no colour code
 * while the first session's does.
 *
 * The tmux server runs on a private socket and is killed in afterAll, whatever happened.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';

const SOCKET = `nestvm-e2e-${process.pid}`;
const TARGET = 'tui';
const BIN = join(PACKAGE_ROOT, 'dist/cli/bin.js');
const WAIT_MS = 20_000;

let dir = '';
let exitFile = '';
let traceFile = '';

const tmux = (...args: string[]): string =>
  execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const screen = (target = TARGET): string => tmux('capture-pane', '-p', '-t', target);
const screenWithCodes = (target: string): string => tmux('capture-pane', '-p', '-e', '-t', target);
const displayed = (format: string): string => tmux('display-message', '-p', '-t', TARGET, format).trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until the screen matches (or `check` holds); fail with the last screen after WAIT_MS. */
async function waitFor(pattern: RegExp, what: string, target = TARGET): Promise<string> {
  const until = Date.now() + WAIT_MS;
  let last = '';
  while (Date.now() < until) {
    last = screen(target);
    if (pattern.test(last)) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (${pattern}); the terminal shows:\n${last}`);
}

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const until = Date.now() + WAIT_MS;
  while (Date.now() < until) {
    if (check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; the terminal shows:\n${screen()}`);
}

/** Type one key (tmux key name or literal character) and wait for what it should show. */
async function press(key: string, pattern: RegExp, what: string): Promise<string> {
  tmux('send-keys', '-t', TARGET, key);
  return waitFor(pattern, what);
}

const statusLine = (s: string): string => s.trimEnd().split('\n').pop() ?? '';

beforeAll(() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error('tmux is missing: run `bash scripts/setup.sh test` (or install tmux) to run this test');
  }
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (npm run build; npm test does it)`);
  dir = mkdtempSync(join(tmpdir(), 'nestvm-tui-'));
  exitFile = join(dir, 'exit');
  traceFile = join(dir, 'trace.jsonl');
  const guest = join(PACKAGE_ROOT, 'guests/x86_64/memtouch.s');
  // The pane stays alive after the TUI ends (sleep) so that the restored screen can be read.
  const command =
    `cd '${PACKAGE_ROOT}' && CI=true node '${BIN}' tui '${guest}' --trace '${traceFile}'; ` +
    `echo EXIT:$? > '${exitFile}'; sleep 600`;
  tmux('new-session', '-d', '-s', TARGET, '-x', '120', '-y', '40', command);
});

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nestvm tui in a real terminal (tmux, 120x40)', () => {
  it('draws the six panes in the alternate screen, paused at the first instruction', async () => {
    const s = await waitFor(/PAUSED: paused at start/, 'the first screen');
    for (const pane of ['1 CPU', '2 Faults', '3 Holds', '4 Dirty', '5 GPT', '6 Frames'])
      expect(s).toContain(pane);
    expect(s).toMatch(/Intel EPT\s+EPTP [0-9a-f]{16}/);
    expect(s).toMatch(/> 0x00100000\s+lea rsp/);
    expect(displayed('#{alternate_on}')).toBe('1');
  });

  it('s steps exactly one instruction', async () => {
    const s = await press('s', /step: 1 instruction/, 'the step outcome');
    expect(s).toMatch(/insns 1\b/);
    expect(s).toMatch(/\baction\s+step: 1 instruction/);
  });

  it('- slows the run down and + gives full speed back; both are logged', async () => {
    let s = await press('-', /speed: 1,000,000 instructions a second/, 'the slower speed');
    expect(statusLine(s)).toMatch(/^PAUSED \(1M\/s\)/);
    s = await press('+', /speed: full speed/, 'full speed again');
    expect(statusLine(s)).toMatch(/^PAUSED\b/);
    expect(s).toMatch(/\baction\s+speed: full speed/);
  });

  it('space runs the guest; memtouch ends at once and the stop stays on the status bar', async () => {
    const s = await press('Space', /STOPPED: exit status 1/, 'the guest to stop');
    expect(s).toMatch(/console: read back ok/);
    expect(s).toMatch(/write mapped 0x002f[0-9a-f]{4} 0x/);
    // space again: nothing left to run, and it says so
    await press('Space', /run: the guest has stopped/, 'the refusal');
  });

  it('h harvests the dirty log: the outcome is on the status bar and in the fault log', async () => {
    const s = await press('h', /harvest: \d+ pages dirty/, 'the harvest outcome');
    expect(statusLine(s)).toMatch(/harvest: \d+ pages dirty/);
    expect(s).toMatch(/\baction\s+harvest: \d+ pag/);
    expect(s).toMatch(/dirty since harvest 0\b/);
  });

  it('e evicts the page picked in the fault log', async () => {
    await press('2', />2 Faults/, 'the fault log focused');
    await press('f', /filter: read/, 'the read filter');
    await press('f', /filter: write/, 'the write filter');
    await press('Up', /║>\s*\d+ write mapped/, 'the fault cursor');
    await press('Enter', /selected gpa 0x2ff000/, 'the last written page selected');
    const s = await press(
      'e',
      /evict 0x2ff000: host frame 0x[0-9a-f]+ disconnected from 1 PTE/,
      'the eviction',
    );
    expect(statusLine(s)).toMatch(/evict 0x2ff000/);
  });

  it('? opens the help screen and closes it again', async () => {
    const help = await press('?', /nestvm live view: help/, 'the help screen');
    expect(help).toMatch(/THE PANES/);
    expect(help).not.toMatch(/6 Frames\s+│/);
    const back = await press('?', /6 Frames/, 'the panes again');
    expect(back).not.toMatch(/nestvm live view: help/);
  });

  it('q quits with status 0 and gives the terminal back', async () => {
    tmux('send-keys', '-t', TARGET, 'q');
    await waitUntil(
      () => existsSync(exitFile) && readFileSync(exitFile, 'utf8').includes('EXIT'),
      'the exit',
    );
    expect(readFileSync(exitFile, 'utf8').trim()).toBe('EXIT:0');
    await waitUntil(() => displayed('#{alternate_on}') === '0', 'the alternate screen to be left');
    expect(displayed('#{cursor_flag}')).toBe('1'); // the cursor is visible again
    const s = screen();
    expect(s).not.toMatch(/Faults|STOPPED|PAUSED|[╔║═]/);
  });

  it('every action is in the --trace file', () => {
    const events = readFileSync(traceFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; action?: string; detail?: string });
    const notes = events.filter((e) => e.type === 'action' && e.action === 'tui').map((e) => e.detail);
    expect(notes.slice(0, 4)).toEqual([
      'step: 1 instruction',
      'speed: 1,000,000 instructions a second',
      'speed: full speed',
      'run',
    ]);
    expect(notes).toContainEqual(expect.stringMatching(/^run: the guest has stopped/));
    expect(notes).toContainEqual(expect.stringMatching(/^harvest: \d+ pages dirty/));
    expect(notes).toContainEqual(expect.stringMatching(/^evict 0x2ff000: host frame/));
    // the Machine's own records of the same actions
    expect(events).toContainEqual({ type: 'action', action: 'harvest', detail: 'guest RAM' });
    expect(events.some((e) => e.type === 'action' && e.action === 'disconnect')).toBe(true);
  });
});

/**
 * SGR parameters that set a colour (30-38, 40-48, 90-97, 100-107) in a screen captured with its
 * codes; 39 and 49 (back to the default colours) are left out: tmux writes them between cells.
 */
function colourCodes(text: string): string[] {
  // eslint-disable-next-line no-control-regex -- SGR sequences start with ESC
  const codes = [...text.matchAll(/\u001B\[([0-9;]*)m/g)].map((m) => m[1]);
  return codes.filter((c) =>
    c.split(';').some((p) => {
      const n = Number(p);
      return p !== '' && n !== 39 && n !== 49 && ((n >= 30 && n <= 48) || (n >= 90 && n <= 107));
    }),
  );
}

/** A session running the view on memtouch from a shell line, after a marker line. */
function startView(target: string, columns: number, rows: number, env: string): string {
  const done = join(dir, `${target}.exit`);
  const guest = join(PACKAGE_ROOT, 'guests/x86_64/memtouch.s');
  const command =
    `cd '${PACKAGE_ROOT}' && echo BEFORE-THE-VIEW && ${env} CI=true node '${BIN}' tui '${guest}'; ` +
    `echo EXIT:$? > '${done}'; sleep 600`;
  tmux('new-session', '-d', '-s', target, '-x', String(columns), '-y', String(rows), command);
  return done;
}

describe('nestvm tui in a real terminal: resize, NO_COLOR', () => {
  it('grown from 80x24 to 120x40 while it runs, q gives the shell screen back with no residue', async () => {
    const done = startView('grow', 80, 24, '');
    await waitFor(/PAUSED: paused at start/, 'the first screen at 80x24', 'grow');
    expect(screen('grow')).toContain('[1 CPU]'); // tabs at 80x24
    tmux('resize-window', '-t', 'grow', '-x', '120', '-y', '40');
    await waitFor(/Tab: next pane[\s\S]*6 Frames/, 'the grid at 120x40', 'grow');
    tmux('send-keys', '-t', 'grow', 'q');
    await waitUntil(() => existsSync(done) && readFileSync(done, 'utf8').includes('EXIT'), 'the exit');
    expect(readFileSync(done, 'utf8').trim()).toBe('EXIT:0');
    const s = screen('grow');
    expect(s).toContain('BEFORE-THE-VIEW');
    expect(s).not.toMatch(/Faults|PAUSED|disassembly|lea rsp|[╔║═│┌└]/);
  });

  it('with NO_COLOR=1 the screen has no colour code; without it, it has', async () => {
    const done = startView('mono', 120, 40, 'NO_COLOR=1');
    await waitFor(/PAUSED: paused at start/, 'the first screen', 'mono');
    const mono = screenWithCodes('mono');
    expect(mono).toContain('1 CPU');
    expect(colourCodes(mono)).toEqual([]);
    tmux('send-keys', '-t', 'mono', 'q');
    await waitUntil(() => existsSync(done), 'the exit');
    const colour = startView('colour', 120, 40, '');
    await waitFor(/PAUSED: paused at start/, 'the first screen', 'colour');
    expect(colourCodes(screenWithCodes('colour')).length).toBeGreaterThan(0);
    tmux('send-keys', '-t', 'colour', 'q');
    await waitUntil(() => existsSync(colour), 'the exit');
  });
});
