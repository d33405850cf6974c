/*
 * The README's examples of the vCPU and VM selectors are what the live view shows: the commands
 * are read from the README, the sessions are opened with their options, driven with the keys the
 * text names (n three times then c; space then v), and the CPU pane's titles and the status bar
 * they give are compared with the README's blocks line for line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM } from '../../../emulator/arch.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { hostFor, loadGuests } from '../../../cli/run-multi.js';
import type { ExecArgs } from '../../../cli/guest-options.js';
import { cpuTitle } from '../../../cli/tui/cpu-pane.js';
import { openHostSession } from '../../../cli/tui/host-port.js';
import { openTuiSession, TUI_SLICE } from '../../../cli/tui/machine-port.js';
import type { SessionCore } from '../../../cli/tui/session-core.js';
import { statusText } from '../../../cli/tui/status-bar.js';

const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
const block = (after: string) => readme.split(`${after}\n\n\`\`\`text\n`)[1].split('\n```')[0];
const command = (start: string) => readme.match(new RegExp(`^\\$ nestvm (tui ${start}.*)$`, 'm'))![1];

const sessions: SessionCore[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

describe('README: the selectors in the live view', () => {
  it('c walks the CPU pane through the vCPUs as the README shows', async () => {
    expect(command('guests/x86_64/smp-sum')).toBe('tui guests/x86_64/smp-sum.s --cpus 4 --quantum 500');
    const image = await loadGuest(join(PACKAGE_ROOT, 'guests/x86_64/smp-sum.s'), {
      memBytes: DEFAULT_GUEST_MEM,
    });
    const { session } = await openTuiSession(image, {
      guest: 'guests/x86_64/smp-sum.s',
      machine: { memBytes: DEFAULT_GUEST_MEM, cpus: 4, quantum: 500 },
      schedule: () => {},
    });
    sessions.push(session);
    for (let i = 0; i < 3; i++) session.stepSlice();
    expect(session.snapshot().cpu.instructions).toBe(3 * TUI_SLICE);
    const titles: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { title, detail } = cpuTitle(session.snapshot());
      titles.push(`${title}  ${detail}`);
      session.show('cpu', (i + 1) % 4);
    }
    expect(titles.join('\n')).toBe(
      block(
        "In the first, after `n` three times (60,000 instructions), `c` walks the CPU pane's title through:",
      ),
    );
  });

  it('v shows the second guest, and the status bar reads as the README shows', async () => {
    expect(command('c-hello')).toBe('tui c-hello memtouch');
    const args = { mem: DEFAULT_GUEST_MEM } as ExecArgs;
    const guests = ['c-hello', 'memtouch'];
    const images = await loadGuests(guests, args);
    const { session } = await openHostSession(images, {
      guests,
      host: hostFor(images, args, undefined),
      machine: { memBytes: DEFAULT_GUEST_MEM },
      schedule: () => {},
    });
    sessions.push(session);
    while (session.snapshot().run.state !== 'stopped') session.stepSlice(); // space, to the end
    const shown = session.show('vm', 1);
    expect(statusText(session.snapshot(), shown)).toBe(
      block('In the second, after space and `v`, the status bar reads:'),
    );
  });
});
