// The container: keys drive the fake session, and the panes show the result, at 80x24 (tabs)
// and at larger sizes (grid).
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../../cli/tui/app.js';
import { FakeSession } from './fake-session.js';
import { Port } from './fake-port.js';
import { SessionCore } from '../../../cli/tui/session-core.js';
import { TuiCollector } from '../../../cli/tui/collector.js';
import type { FakeOptions } from './fake-session.js';
import { KEY, renderAt, tick } from './render-at.js';
import type { Rendered } from './render-at.js';

let live: Rendered | null = null;
afterEach(() => {
  live?.unmount();
  live = null;
});

function start(cols: number, rows: number, opts: FakeOptions = {}, refreshMs = 1000) {
  const session = new FakeSession(opts);
  let closes = 0;
  const r = renderAt(
    <App
      session={session}
      columns={cols}
      rows={rows}
      refreshMs={refreshMs}
      onClose={() => (closes++, session.close())}
    />,
    cols,
    rows,
  );
  live = r;
  return { session, r, closes: () => closes };
}

function checkFits(frame: string, cols: number, rows: number) {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows - 1);
  for (const l of lines) expect(l.length).toBeLessThanOrEqual(cols);
}

describe('App at 80x24 (tabs)', () => {
  it('starts on the CPU tab, fits the screen, and selects the first page', async () => {
    const { session, r } = start(80, 24);
    await tick(10);
    const f = r.lastFrame();
    expect(f).toContain('[1 CPU]');
    expect(f).toContain(' 2 Faults ');
    expect(f).toContain('PAUSED: paused at start');
    expect(f).not.toContain('Holds  2 clients');
    checkFits(f, 80, 24);
    expect(session.calls).toContain('select 0x0');
  });

  it('space runs and pauses; s steps one instruction and marks changed registers', async () => {
    const { session, r } = start(80, 24);
    await r.press(' ');
    expect(session.state).toBe('running');
    expect(r.lastFrame()).toContain('RUNNING');
    await r.press(' ');
    expect(session.state).toBe('paused');
    expect(r.lastFrame()).toContain('PAUSED | pause |');
    await r.press('s');
    expect(session.instructions).toBe(1);
    const f = r.lastFrame();
    expect(f).toContain('insns 1');
    expect(f).toMatch(/rax\*0000000000000001/);
    expect(f).toMatch(/rip\*0000000000100003/);
    expect(f).toMatch(/rbx +0000000000001000/);
    expect(f).toContain('step: 1 instruction');
    await r.press('n');
    expect(session.instructions).toBe(11);
    expect(r.lastFrame()).toContain('slice: 10 instructions');
  });

  it('h harvests and the action shows in the fault log; f filters by kind', async () => {
    const { session, r } = start(80, 24);
    await r.press('n', 'h');
    expect(session.calls).toContain('harvest');
    expect(r.lastFrame()).toContain('harvest: 5 pages dirty');
    await r.press('2');
    let f = r.lastFrame();
    expect(f).toContain('[2 Faults]');
    expect(f).toContain('action harvest: 5 pages dirty');
    expect(f).toMatch(/write mapped 0x00003000/);
    await r.press('f');
    f = r.lastFrame();
    expect(f).toContain('filter: read');
    expect(f).toMatch(/read +mapped 0x00006000/);
    expect(f).not.toMatch(/ write /);
    expect(f).not.toMatch(/exec /);
    expect(f).not.toContain('action harvest');
    await r.press('f', 'f', 'f', 'f', 'f', 'f', 'f'); // write exec mmio evict major watch action
    expect(r.lastFrame()).toContain('filter: action');
    expect(r.lastFrame()).toContain('fault log shows: action');
    expect(r.lastFrame()).toContain('action harvest');
    expect(r.lastFrame()).not.toMatch(/ read /);
  });

  it('- and + ask the session for a slower and a faster run', async () => {
    const { session, r } = start(80, 24);
    await r.press('-', '+', '=');
    expect(session.calls.filter((c) => c === 'slower' || c === 'faster')).toEqual([
      'slower',
      'faster',
      'faster',
    ]);
    expect(r.lastFrame()).toContain('speed: faster');
  });

  it('arrows move the page cursor; e evicts the selected page; u unmaps its region', async () => {
    const { session, r } = start(80, 24, { pages: 64 });
    await r.press('n', '4');
    expect(r.lastFrame()).toContain('[4 Dirty]');
    expect(r.lastFrame()).toContain('@ 0x00000000 accessed');
    await r.press(KEY.right, KEY.right, KEY.right);
    expect(session.selected).toBe(0x3000);
    expect(r.lastFrame()).toContain('@ 0x00003000 dirty');
    await r.press('e');
    expect(session.calls).toContain('evict');
    expect(session.states[3]).toBe(0);
    expect(r.lastFrame()).toContain('@ 0x00003000 not present');
    expect(r.lastFrame()).toContain('evict 0x3000: hfn 0x103 disconnected');
    await r.press('e');
    expect(r.lastFrame()).toContain('! evict 0x3000: not present');
    await r.press('u');
    expect(r.lastFrame()).toContain('UNMAPPED');
    await r.press('u');
    expect(r.lastFrame()).not.toContain('UNMAPPED');
    // 64 pages fit in one row of 78 cells: down moves a whole row, clamped to the last page
    await r.press(KEY.down);
    expect(session.selected).toBe(63 * 0x1000);
    await r.press(']', ']');
    expect(session.selected).toBe(63 * 0x1000);
    await r.press('[');
    expect(session.selected).toBe(62 * 0x1000);
  });

  it('z explains that zoom needs a large terminal', async () => {
    const { r } = start(80, 24);
    await r.press('z');
    expect(r.lastFrame()).toContain('! zoom needs a terminal of at least 120x40');
    expect(r.lastFrame()).toContain('[1 CPU]');
  });

  it('d toggles dirty tracking and a resets accessed bits', async () => {
    const { session, r } = start(80, 24);
    await r.press('n', '4', 'd');
    expect(session.tracking).toBe(false);
    expect(r.lastFrame()).toContain('tracking OFF');
    await r.press('a');
    expect(session.calls).toContain('reset-accessed');
    expect(r.lastFrame()).toMatch(/reset accessed bits: \d+ pages/);
  });

  it('Tab and shift+Tab switch focus; Enter in the fault log selects that page and GVA', async () => {
    const { session, r } = start(80, 24, { guestPaging: true, format: 'ept' });
    await r.press('n', KEY.tab);
    expect(r.lastFrame()).toContain('[2 Faults]');
    await r.press(KEY.shiftTab, KEY.shiftTab);
    expect(r.lastFrame()).toContain('[6 Frames]');
    await r.press('2', KEY.up, KEY.up);
    expect(r.lastFrame()).toContain('(cursor)');
    await r.press(KEY.enter);
    const last = session.calls[session.calls.length - 1];
    expect(last).toMatch(/^select 0x\w+ gva 0x4\w+$/);
    await r.press('5');
    expect(r.lastFrame()).toContain('2D walk of gva 0x0000004');
    await r.press('2', KEY.escape);
    expect(r.lastFrame()).not.toContain('(cursor)');
  });

  it('? opens the help screen and closes it again', async () => {
    const { r } = start(80, 24);
    await r.press('?');
    let f = r.lastFrame();
    expect(f).toContain('nestvm live view: help');
    expect(f).toContain('THE PANES');
    checkFits(f, 80, 24);
    await r.press('s'); // ignored while help is open
    expect(r.lastFrame()).toContain('THE PANES');
    await r.press(KEY.down, KEY.down, KEY.down);
    expect(r.lastFrame()).not.toContain('nestvm live view: help');
    await r.press(KEY.end);
    expect(r.lastFrame()).toContain('quit and give the terminal back');
    checkFits(r.lastFrame(), 80, 24);
    await r.press(KEY.home);
    expect(r.lastFrame()).toContain('nestvm live view: help');
    await r.press(KEY.escape);
    f = r.lastFrame();
    expect(f).not.toContain('THE PANES');
    expect(f).toContain('[1 CPU]');
    expect(f).toContain('insns 0');
  });

  it('PgDn moves the page cursor a screen, End to the last page', async () => {
    const { session, r } = start(80, 24, { pages: 4096 });
    await r.press('4', KEY.pageDown);
    // 4096 pages in 78 x 14 cells: 4 pages a cell, 78 cells a row; PgDn moves 8 rows
    expect(session.selected).toBe(4 * 78 * 8 * 0x1000);
    await r.press(KEY.end);
    expect(session.selected).toBe(4095 * 0x1000);
  });

  it('arrows scroll the holds list when it is longer than the pane', async () => {
    const { session, r } = start(80, 12, { pages: 64 }, 20);
    session.resume();
    session.advance(64); // the uart client takes holds: more lines than the pane shows
    await tick(50);
    await r.press('3');
    const top = r.lastFrame();
    expect(top).toContain('c0 vcpu0');
    await r.press(KEY.down);
    expect(r.lastFrame()).not.toContain('c0 vcpu0');
    await r.press(KEY.end, KEY.up, KEY.home);
    expect(r.lastFrame()).toBe(top);
  });

  it('q closes the session once and exits', async () => {
    const { session, r, closes } = start(80, 24);
    const done = r.waitUntilExit();
    await r.press('q');
    await done;
    expect(closes()).toBe(1);
    expect(session.closed).toBe(1);
  });
});

describe('App over SessionCore', () => {
  it('steps, harvests and logs through the real session core', async () => {
    const port = new Port();
    const session = new SessionCore(port, new TuiCollector(), { sliceSize: 100 });
    const r = renderAt(<App session={session} columns={80} rows={24} refreshMs={1000} />, 80, 24);
    live = r;
    await r.press('s', 'n');
    expect(r.lastFrame()).toContain('insns 101');
    expect(r.lastFrame()).toContain('slice: 100 instructions');
    await r.press('h', '2');
    expect(r.lastFrame()).toContain('action harvest: 1 page dirty');
    expect(r.lastFrame()).toContain('action step: 1 instruction');
  });
});

describe('App on larger terminals (grid)', () => {
  it('shows all six panes at 160x48 and fits', async () => {
    const { r } = start(160, 48, { arch: 'arm64', format: 's2' });
    await r.press('n');
    const f = r.lastFrame();
    for (const t of ['1 CPU', '2 Faults', '3 Holds', '4 Dirty', '5 GPT', '6 Frames']) expect(f).toContain(t);
    expect(f).toContain('>1 CPU');
    expect(f).toContain('arm64 stage-2  VTTBR');
    expect(f).toContain('nzcv 0000000060000000  Z C');
    expect(f).toContain('PV pool: free 120');
    checkFits(f, 160, 48);
  });

  it('at 120x40 Tab moves the focus marker between panes and z zooms', async () => {
    const { r } = start(120, 40, { arch: 'x86_64', format: 'npt' });
    await r.press('s', KEY.tab, KEY.tab);
    let f = r.lastFrame();
    expect(f).toContain('>3 Holds');
    expect(f).toContain(' 1 CPU');
    checkFits(f, 120, 40);
    await r.press('z');
    f = r.lastFrame();
    expect(f).toContain('>3 Holds');
    expect(f).not.toContain('2 Faults');
    await r.press('z', 'h', '2');
    f = r.lastFrame();
    expect(f).toContain('>2 Faults');
    expect(f).toContain('action harvest');
    expect(f).toContain('AMD nPT  nCR3');
  });

  it('pulls snapshots on its timer, not per event: the guest can change as often as it likes', async () => {
    const session = new FakeSession({ pages: 256 });
    let pulls = 0;
    const snapshot = session.snapshot.bind(session);
    session.snapshot = () => (pulls++, snapshot());
    const r = renderAt(<App session={session} columns={120} rows={40} refreshMs={50} />, 120, 40);
    live = r;
    const start = pulls;
    const t0 = Date.now();
    const bursts = 200; // a burst of guest activity each: hundreds of faults and stamp changes
    for (let i = 0; i < bursts; i++) {
      session.advance(50);
      await tick(i % 10 === 0 ? 5 : 0);
    }
    await tick(120);
    const elapsed = Date.now() - t0;
    const taken = pulls - start;
    // Bound by the timer (one pull per 50 ms, whatever the load made `elapsed`), never per burst.
    expect(taken).toBeLessThanOrEqual(Math.ceil(elapsed / 50) + 2);
    // A pull per event would be thousands; a pull per burst, 200. Under load the bursts take longer,
    // so the timer bound above may allow more than a handful, but never one per burst.
    expect(taken).toBeLessThan(bursts);
    expect(taken).toBeGreaterThanOrEqual(2);
  });

  it('polls while running, and does not redraw when nothing changed', async () => {
    const session = new FakeSession();
    const r = renderAt(<App session={session} columns={120} rows={40} refreshMs={20} />, 120, 40);
    live = r;
    await r.press(' ');
    session.advance(500);
    await tick(80);
    expect(r.lastFrame()).toContain('insns 500');
    await r.press(' ');
    const drawn = r.frameCount();
    await tick(120); // six polls, nothing changed: no new frame
    expect(r.frameCount()).toBe(drawn);
    session.advance(1);
    await tick(60);
    expect(r.frameCount()).toBeGreaterThan(drawn);
    expect(r.lastFrame()).toContain('insns 501');
  });
});
