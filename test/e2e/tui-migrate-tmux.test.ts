/*
 * `nestvm tui --migrate` in a real terminal: the built CLI runs c-writer's live migration (EPT to
 * nPT, 4 MiB) inside a detached tmux session of 120x40, keys typed with send-keys, the screen read
 * back with capture-pane, as a user sees it.
 *
 * Checked: the first screen shows the migration's block in the Dirty pane (pre-copy, source); the
 * slice key n sends round 0 a --bandwidth at a time ("sending 32 of 166", then 64); run (Space)
 * takes it to the end, and the screen then holds every round of `nestvm migrate --json` with the
 * same options, row for row, the stop-and-copy, the verdict, the destination's format (nPT) on the
 * status line and the destination's console (the checksum a plain run prints); q exits with 0.
 * The environment keeps CI=true as in CI. tmux is required (scripts/setup.sh test installs it).
 * The tmux server runs on a private socket and is killed in afterAll, whatever happened.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { runCli } from '../cli/capture.js';
import { requireTmux, TmuxServer } from './tmux-harness.js';

const BIN = join(PACKAGE_ROOT, 'dist/cli/bin.js');
const OPTIONS = ['--mem', '4M', '--dst-format', 'npt', '--downtime-pages', '4', '--max-rounds', '4'];
const term = new TmuxServer(`nestvm-e2e-migrate-${process.pid}`, 'mig');

let dir = '';
let exitFile = '';

beforeAll(() => {
  requireTmux(BIN);
  dir = mkdtempSync(join(tmpdir(), 'nestvm-tui-migrate-'));
  exitFile = join(dir, 'exit');
  const command =
    `cd '${PACKAGE_ROOT}' && CI=true node '${BIN}' tui c-writer --migrate ${OPTIONS.join(' ')}; ` +
    `echo EXIT:$? > '${exitFile}'; sleep 600`;
  term.start(command, 120, 40);
});

afterAll(() => {
  term.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nestvm tui --migrate in a real terminal (tmux, 120x40)', () => {
  it('shows the rounds as they happen, then the destination to its end', async () => {
    expect(await term.waitFor(/migrate: pre-copy, source/, 'the migration block')).toMatch(
      /PAUSED: paused at start/,
    );
    await term.press('n', /round 0: sending 32 of 166/, 'round 0 after one slice');
    await term.press('n', /round 0: sending 64 of 166/, 'round 0 after two slices');
    const s = await term.press('Space', /STOPPED: hlt/, 'the guest to end on the destination');
    expect(s).toMatch(/migrate: ended, destination/);
    expect(s).toMatch(/round +sent +dirtied +rate +left/);
    const j = JSON.parse((await runCli('migrate', 'c-writer', ...OPTIONS, '--json')).stdout);
    expect(j.rounds.length).toBeGreaterThan(1);
    for (const r of j.rounds)
      expect(s).toMatch(new RegExp(` +${r.round} +${r.sent} +${r.dirtied} +${r.rate} +${r.remaining} *│`));
    expect(s).toContain(`converged: stop-and-copy ${j.stopAndCopy}`);
    expect(s).toContain('verified: = unmigrated run');
    expect(s).toMatch(/\| x86_64 nPT \|/);
    const last = readFileSync(join(PACKAGE_ROOT, 'guests/expected/c-writer-x86_64.txt'), 'utf8')
      .trim()
      .split('\n')
      .pop()!;
    expect(s).toContain(`console: ${last}`);
    term.tmux('send-keys', '-t', 'mig', 'q');
    await term.until(() => existsSync(exitFile));
    expect(readFileSync(exitFile, 'utf8').trim()).toBe('EXIT:0');
  });
});
