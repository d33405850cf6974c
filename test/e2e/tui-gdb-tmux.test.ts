/*
 * `nestvm tui --gdb PORT --gdb-wait` in a real terminal (tmux, 120x40) with the real gdb-multiarch
 * attached in batch mode: the view shows who has the guest on its status line and refuses its own
 * run keys while gdb holds it, shows gdb's breakpoint and watchpoint stops as gdb makes them, logs
 * the watched page's nested fault as `watch` in the fault log, and takes the guest back once gdb
 * detaches (it runs to its end on the run key; q exits 0).
 *
 * gdb waits at two points of its script (a `shell` loop on a file the test creates), so the test
 * can read the screen while gdb holds the guest. x86-64 only: the stub and the view are the same
 * code on both architectures, and test/cli/gdb/ runs gdb on both.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGuest } from '../../emulator/loaders/index.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { runGdb } from '../cli/gdb/stub-harness.js';
import { requireTmux, TmuxServer } from './tmux-harness.js';

const BIN = join(PACKAGE_ROOT, 'dist/cli/bin.js');
const GUEST = join(PACKAGE_ROOT, 'guests/x86_64/paging.s');
const term = new TmuxServer(`nestvm-e2e-gdb-${process.pid}`, 'tui');
const statusLine = (s: string): string => s.trimEnd().split('\n').pop() ?? '';

let dir = '';
let port = 0;

/* A port no one listens on now. */
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

/* A gdb command that waits until the test creates `name` in the scratch folder. */
const waitForFile = (name: string) => `shell while [ ! -f '${join(dir, name)}' ]; do sleep 0.05; done`;

beforeAll(async () => {
  requireTmux(BIN);
  dir = mkdtempSync(join(tmpdir(), 'nestvm-tui-gdb-'));
  port = await freePort();
  const command =
    `cd '${PACKAGE_ROOT}' && CI=true node '${BIN}' tui '${GUEST}' --gdb ${port} --gdb-wait; ` +
    `echo EXIT:$? > '${join(dir, 'exit')}'; sleep 600`;
  term.start(command, 120, 40);
});

afterAll(() => {
  term.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nestvm tui --gdb with gdb-multiarch attached (tmux, 120x40)', () => {
  it('holds the guest for gdb, shows its stops, logs watch faults, and takes the guest back', async () => {
    const s0 = await term.waitFor(/guest held for gdb \(--gdb-wait\)/, 'the held first screen');
    expect(statusLine(s0)).toMatch(
      new RegExp(`^PAUSED: held by gdb \\| gdb stub on 127\\.0\\.0\\.1:${port}`),
    );
    await term.press(' ', /! run: refused, gdb stub on .* \(continue or detach in gdb\)/, 'run refused');

    const image = await loadGuest(GUEST, { memBytes: 16 << 20 });
    const strcpy = image.symbols.find((s) => s.name === 'strcpy')!.addr;
    const gdb = runGdb(port, [
      `break *0x${strcpy.toString(16)}`,
      'continue',
      waitForFile('go1'),
      'watch *(long *)0x7f0000000000',
      'delete 1',
      'continue',
      waitForFile('go2'),
      'monitor info tlb',
      'detach',
    ]);
    const atBreak = await term.waitFor(/has it: breakpoint/, 'the breakpoint stop');
    expect(atBreak).toMatch(/^PAUSED\b.* \| gdb \(127\.0\.0\.1:\d+\) has it: breakpoint/m);
    expect(atBreak).toMatch(new RegExp(`> 0x00${strcpy.toString(16)}\\s+mov al, byte ptr \\[rsi\\]`));
    expect(atBreak).toMatch(/action\s+gdb connected/);
    await term.press('s', /! step: refused, gdb \(127\.0\.0\.1:\d+\) has it: breakpoint/, 'step refused');
    writeFileSync(join(dir, 'go1'), '');

    const atWatch = await term.waitFor(/has it: watchpoint at 0x7f0000000000/, 'the watchpoint stop');
    expect(atWatch).toMatch(/\bwrite\s+watch\s+0x00400000/); // the fault log's watch entry
    writeFileSync(join(dir, 'go2'), '');

    const out = await gdb;
    expect(out).toContain(`Breakpoint 1, 0x${strcpy.toString(16).padStart(16, '0')} in ?? ()`);
    expect(out).toMatch(/Old value = 0\s+New value = 112/);
    expect(out).toMatch(/translations Unicorn's TLB may hold .*: [1-9]\d*/);
    expect(out).toContain('[Inferior 1 (Remote target) detached]');

    await term.waitFor(/no gdb connected/, 'gdb gone');
    await term.waitFor(/action\s+gdb went away/, 'the detach in the fault log');
    const end = await term.press(' ', /STOPPED: hlt/, 'the guest run to its end by the view');
    expect(end).toMatch(/STOPPED: hlt \| gdb stub on 127\.0\.0\.1:\d+: no gdb connected \| run \|/);
    term.tmux('send-keys', '-t', 'tui', 'q');
    await term.until(() => existsSync(join(dir, 'exit')));
    expect(readFileSync(join(dir, 'exit'), 'utf8').trim()).toBe('EXIT:0');
  }, 60_000);
});
