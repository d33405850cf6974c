/*
 * The vCPU and VM selectors in a real terminal (tmux, 160x50): the built CLI runs
 * `tui guests/x86_64/smp-sum.s --cpus 4` in one session and `tui c-hello memtouch` in another,
 * keys are typed with send-keys and the screens read back with capture-pane.
 *
 * Checked: with four vCPUs, c walks the CPU pane through vcpu0..vcpu3 and round (the title names
 * each, its PC differs from vcpu0's, the Holds pane marks its row), C goes back; v is refused in one
 * line. With two guests, the status bar and the header name the guest shown, v switches to the
 * other (its own console line, tagged [vm1], its own PC and root pointer), c is refused in one
 * line. Both quit with q and status 0.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { requireTmux, TmuxServer } from './tmux-harness.js';

const BIN = join(PACKAGE_ROOT, 'dist/cli/bin.js');
const smp = new TmuxServer(`nestvm-e2e-smp-${process.pid}`, 'smp');
const vms = new TmuxServer(`nestvm-e2e-vms-${process.pid}`, 'vms');
let dir = '';

const start = (term: TmuxServer, name: string, args: string) =>
  term.start(
    `cd '${PACKAGE_ROOT}' && CI=true node '${BIN}' tui ${args}; echo EXIT:$? > '${join(dir, name)}'; sleep 600`,
    160,
    50,
  );

/** The PC's value as the CPU pane shows it. */
const rip = (screen: string): string => screen.match(/rip\*?([0-9a-f]{16})/)![1];

async function quits(term: TmuxServer, name: string): Promise<void> {
  term.tmux('send-keys', '-t', name, 'q');
  const file = join(dir, name);
  await term.until(() => existsSync(file));
  expect(readFileSync(file, 'utf8').trim()).toBe('EXIT:0');
}

beforeAll(() => {
  requireTmux(BIN);
  dir = mkdtempSync(join(tmpdir(), 'nestvm-tui-select-'));
  start(smp, 'smp', 'guests/x86_64/smp-sum.s --cpus 4 --quantum 500');
  start(vms, 'vms', 'c-hello memtouch');
});

afterAll(() => {
  smp.kill();
  vms.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('nestvm tui --cpus 4 in tmux: c and C', () => {
  it('walks the CPU pane through the vCPUs and marks the one shown in Holds', async () => {
    await smp.waitFor(/1 CPU 0 of 4 {2}paused, vcpu0 running/, 'the first screen');
    for (const at of ['20.0k', '40.0k', '60.0k'])
      await smp.press('n', new RegExp(`\\| ${at.replace('.', '\\.')} insns`), `${at} instructions`);
    const zero = smp.screen();
    expect(zero).toMatch(/>[ *]c\d+ vcpu0 /);
    const one = await smp.press('c', /1 CPU 1 of 4 {2}paused, vcpu1 running/, 'vcpu1 shown');
    expect(one).toMatch(/>[ *]c\d+ vcpu1 /);
    expect(one).not.toMatch(/>[ *]c\d+ vcpu0 /);
    expect(rip(one)).not.toBe(rip(zero));
    await smp.press('c', /CPU 2 of 4/, 'vcpu2 shown');
    await smp.press('c', /CPU 3 of 4/, 'vcpu3 shown');
    await smp.press('c', /CPU 0 of 4/, 'round to vcpu0');
    await smp.press('C', /CPU 3 of 4/, 'C goes back');
    await smp.press('v', /! VM: one guest here/, 'v refused');
    await quits(smp, 'smp');
  });
});

describe('nestvm tui c-hello memtouch in tmux: v and V', () => {
  it('switches every pane between the two guests', async () => {
    await vms.waitFor(/VM 1\/2 \[vm0\] c-hello 0 insns/, 'the first screen');
    const first = await vms.press(' ', /STOPPED: every guest ended: vm0 hlt, vm1 exit status 1/, 'both ran');
    expect(first).toMatch(/^nestvm {2}c-hello /m);
    expect(first).toMatch(/console: \[vm0\] bss was zero/);
    const second = await vms.press('v', /VM 2\/2 \[vm1\] memtouch ended: exit status 1/, 'vm1 shown');
    expect(second).toMatch(/^nestvm {2}memtouch /m);
    expect(second).toMatch(/console: \[vm1\] read back ok/);
    expect(rip(second)).not.toBe(rip(first));
    const eptp = (s: string) => s.match(/EPTP ([0-9a-f]{16})/)![1];
    expect(eptp(second)).not.toBe(eptp(first));
    await vms.press('V', /VM 1\/2 \[vm0\] c-hello/, 'V back to vm0');
    await vms.press('c', /! vCPU: this guest has one/, 'c refused');
    await quits(vms, 'vms');
  });
});
