/*
 * The live view of two REAL guests on one host (`tui c-hello memtouch`): `v` switches every pane
 * between them. Checked on the screen against each guest's own machine: the status bar and the
 * header name the guest shown, the CPU pane shows its PC and its console line tagged [vmN], the
 * GPT pane its root pointer, the Faults pane its own log, the Dirty pane its own counts, and a
 * harvest acts on the guest shown. Stepping steps the host's round-robin, and the run is the one
 * `run c-hello memtouch` makes: the same instructions and the same ends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM } from '../../../emulator/arch.js';
import { App } from '../../../cli/tui/app.js';
import { hostFor, loadGuests } from '../../../cli/run-multi.js';
import { openHostSession, type HostSession } from '../../../cli/tui/host-port.js';
import { stopText } from '../../../cli/tui/machine-port.js';
import { HostRun } from '../../../emulator/host-run.js';
import { Machine } from '../../../emulator/machine.js';
import type { ExecArgs } from '../../../cli/guest-options.js';
import { renderAt, type Rendered } from './render-at.js';
import { runCli } from '../capture.js';
import { render } from 'ink-testing-library';
import { FramesPane } from '../../../cli/tui/frames-pane.js';
import { gpa } from '../../../mmu/addr.js';

const ARGS = { mem: DEFAULT_GUEST_MEM } as ExecArgs;
const GUESTS = ['c-hello', 'memtouch'];
const open: { s: HostSession; r: Rendered }[] = [];
afterEach(() => {
  for (const { s, r } of open.splice(0)) {
    r.unmount();
    s.session.close();
  }
});

async function start(sliceSize = 22_000, guests = GUESTS) {
  const images = await loadGuests(guests, ARGS);
  const s = await openHostSession(images, {
    guests,
    host: hostFor(images, ARGS, undefined),
    machine: { memBytes: DEFAULT_GUEST_MEM, sliceInsns: 20_000 },
    sliceSize,
    schedule: () => {},
  });
  const r = renderAt(<App session={s.session} columns={160} rows={50} refreshMs={1000} />, 160, 50);
  open.push({ s, r });
  return { ...s, r };
}

const hex16 = (v: bigint) => v.toString(16).padStart(16, '0');

describe('tui c-hello memtouch: the VM selector', () => {
  it('v switches every pane between the guests; each shows its own machine', async () => {
    const { machines, port, r } = await start();
    await r.press('n'); // 22,000: vm0's first turn (20,000), then 2,000 of vm1's
    expect(machines.map((m) => m.instructions)).toEqual([20_000, 2_000]);
    const eptp = (i: number) => {
      port.show('vm', i);
      const raw = port.gpt().rootPointer.raw;
      port.show('vm', 0);
      return hex16(raw);
    };
    const [p0, p1] = [eptp(0), eptp(1)];
    expect(p0).not.toBe(p1);
    const screens: string[] = [];
    for (const [i, name] of GUESTS.entries()) {
      const f = r.lastFrame();
      screens.push(f);
      expect(f).toContain(`VM ${i + 1}/2 [vm${i}] ${name} ${['20.0k', '2000'][i]} insns`);
      expect(f).toContain(`nestvm  ${name} `); // the header
      expect(f).toMatch(new RegExp(`rip\\*?${hex16(machines[i].regs().rip)}`));
      expect(f).toContain(`EPTP ${[p0, p1][i]}`);
      // c-hello has printed nothing yet; memtouch's first line, tagged as `run` tags it
      if (i === 0) expect(f).not.toMatch(/console: \[vm/);
      else expect(f).toMatch(/console: \[vm1\] memtouch \(x86-64\)/);
      await r.press('v');
    }
    expect(r.lastFrame()).toContain('VM 1/2 [vm0] c-hello'); // round
    // memtouch's fault log has its buffer's writes; c-hello's does not
    expect(screens[1]).toMatch(/write mapped 0x002[0-9a-f]{5}/);
    expect(screens[0]).not.toMatch(/write mapped 0x002[0-9a-f]{5}/);
    // a harvest on the screen of vm1 harvests vm1's pages (memtouch has written all of them now)
    await r.press('n', 'V', 'h');
    expect(r.lastFrame()).toContain('VM 2/2 [vm1] memtouch');
    expect(r.lastFrame()).toMatch(/harvest: \d{3} pages dirty/); // memtouch wrote hundreds
    await r.press('v', 'h');
    expect(r.lastFrame()).toMatch(/harvest: \d{1,2} pages? dirty/); // c-hello only a few
  });

  it('runs to the same ends as `run c-hello memtouch`, and then says how each ended', async () => {
    const { machines, run, r } = await start(60_000);
    // steps and slices cut the turns anywhere; the round-robin goes on where it was
    for (let i = 0; i < 12 && !run.done; i++) await r.press('s', 'n', 's', 's');
    expect(run.done).toBe(true);
    const images = await loadGuests(GUESTS, ARGS);
    const host = hostFor(images, ARGS, undefined);
    const alone = images.map(
      (img) => new Machine(img, { memBytes: DEFAULT_GUEST_MEM, sliceInsns: 20_000, host }),
    );
    try {
      const ref = new HostRun(host, alone, null);
      while (!ref.done) ref.slice();
      expect(machines.map((m) => m.instructions)).toEqual(alone.map((m) => m.instructions));
      expect(machines.map((m) => m.console)).toEqual(alone.map((m) => m.console));
      expect(run.stops.map((s) => stopText(s!))).toEqual(ref.stops.map((s) => stopText(s!)));
    } finally {
      for (const m of alone) m.close();
    }
    await r.press(' '); // refused: every guest ended; nothing crashes
    const f = r.lastFrame();
    expect(f).toContain('STOPPED: every guest ended: vm0 hlt, vm1 exit status 1');
    expect(f).toContain('VM 1/2 [vm0] c-hello ended: hlt');
  });
});

describe('nestvm tui with several guests: bad input', () => {
  it.each([
    [['--cpus', '2'], 'nestvm: --cpus 2 runs one guest alone (not with several guests)'],
    [['--migrate'], 'nestvm: --migrate takes one guest (not several guests)'],
    [['--gdb', '1234'], 'nestvm: --gdb debugs one guest (not several guests)'],
    [['--merge-pages', '4'], 'nestvm: --merge-pages needs --merge'],
  ])('tui c-hello memtouch %j: one line, exit 2', async (flags, line) => {
    const r = await runCli('tui', 'c-hello', 'memtouch', ...flags);
    expect([r.status, r.stderr.trim()]).toEqual([2, line]);
  });

  it('past the flags, without a terminal: one line, exit 8', async () => {
    const r = await runCli('tui', 'c-hello', 'memtouch');
    expect(r.status).toBe(8);
    expect(r.stderr).toMatch(/needs a terminal/);
  });
});

describe('tui c-hello c-hello --merge', () => {
  it("the Frames pane lists the shared frame's PTE in each VM, from either VM's side", async () => {
    const mem = 2 << 20;
    const args = { mem } as ExecArgs;
    const guests = ['c-hello', 'c-hello'];
    const images = await loadGuests(guests, args);
    const s = await openHostSession(images, {
      guests,
      host: hostFor(images, args, undefined),
      machine: { memBytes: mem },
      merge: { interval: 20_000, pages: 1024 },
      schedule: () => {},
    });
    try {
      while (s.session.snapshot().run.state !== 'stopped') s.session.stepSlice();
      const shared = s.run.sharedFrames().find((f) => new Set(f.mappers.map((m) => m.vm)).size === 2)!; // a PTE in each VM
      const page = shared.mappers.find((m) => m.vm === 0)!.gpa;
      s.session.select(gpa(page));
      for (const vm of [0, 1]) {
        s.session.show('vm', vm);
        const snap = s.session.snapshot();
        expect(snap.selection.frame?.hfn).toBe(shared.hfn);
        const { lastFrame, unmount } = render(
          <FramesPane snap={snap} width={70} height={30} focused={false} />,
        );
        const f = lastFrame() ?? '';
        unmount();
        expect(f).toContain(`shared (merged) by ${shared.pages} pages:`);
        for (const m of shared.mappers)
          expect(f).toContain(`vm${m.vm} 0x${m.gpa.toString(16).padStart(8, '0')}`);
      }
    } finally {
      s.session.close();
    }
  });
});
