// What a key does, without Ink: the reducer's next state and effect for each command, checked on
// snapshots of the fake session, plus a property: over any sequence of moves the page cursor stays
// in range and every cursor change comes with a select of the page it lands on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialUi, reduceKey, type KeyView, type UiState } from '../../../cli/tui/key-reducer.js';
import { keyToCommand, type Command } from '../../../cli/tui/keys.js';
import type { CursorMove } from '../../../cli/tui/dirty-grid.js';
import { FakeSession } from './fake-session.js';
import { FAULT_FILTERS, filterFaults, type FaultFilter } from '../../../cli/tui/faults-pane.js';
import type { FaultKind, FaultLogEntry, FaultOrigin, TuiSnapshot } from '../../../cli/tui/model.js';

function setup(columns = 120, rows = 40) {
  const session = new FakeSession({ pages: 256 });
  session.advance(30); // some faults in the log
  const snap = session.snapshot();
  const view: KeyView = { snap, columns, rows, sliceSize: 10 };
  return { snap, view, ui: initialUi(snap) };
}

const MOVES: CursorMove[] = [
  'up',
  'down',
  'left',
  'right',
  'page-up',
  'page-down',
  'home',
  'end',
  'prev-page',
  'next-page',
];

describe('reduceKey', () => {
  it('session verbs are effects, the UI state unchanged', () => {
    const { view, ui } = setup();
    const call = (cmd: Command) => reduceKey(ui, cmd, view);
    expect(call({ type: 'toggle-run' })).toEqual({ ui, effect: { kind: 'call', call: { verb: 'resume' } } });
    expect(call({ type: 'step' }).effect).toEqual({ kind: 'call', call: { verb: 'step' } });
    expect(call({ type: 'speed', step: -1 }).effect).toEqual({
      kind: 'call',
      call: { verb: 'changeSpeed', step: -1 },
    });
    expect(call({ type: 'evict' }).effect).toEqual({
      kind: 'call',
      call: { verb: 'evict', gpa: view.snap.memory.base + ui.cursor * 4096 },
    });
    expect(call({ type: 'quit' })).toEqual({ ui, effect: { kind: 'quit' } });
    expect(call({ type: 'none' })).toEqual({ ui });
  });

  it('toggle-run pauses a running guest', () => {
    const { view, ui } = setup();
    const running = { ...view, snap: { ...view.snap, run: { ...view.snap.run, state: 'running' as const } } };
    expect(reduceKey(ui, { type: 'toggle-run' }, running).effect).toEqual({
      kind: 'call',
      call: { verb: 'pause' },
    });
  });

  it('focus, filter, help and zoom change only the UI state', () => {
    const { view, ui } = setup();
    expect(reduceKey(ui, { type: 'focus-next' }, view).ui.focus).toBe('faults');
    expect(reduceKey(ui, { type: 'focus-prev' }, view).ui.focus).toBe('frames');
    expect(reduceKey(ui, { type: 'focus', pane: 'gpt' }, view).ui.focus).toBe('gpt');
    const f = reduceKey(ui, { type: 'filter' }, view);
    expect(f.ui).toMatchObject({
      filter: 'read',
      faultCursor: null,
      message: { ok: true, note: 'fault log shows: read' },
    });
    expect(f.effect).toBeUndefined();
    expect(reduceKey(ui, { type: 'help' }, view).ui).toMatchObject({ help: true, helpScroll: 0 });
    expect(reduceKey(ui, { type: 'zoom' }, view).ui.zoom).toBe(true);
    const small = setup(80, 24);
    expect(reduceKey(small.ui, { type: 'zoom' }, small.view).ui).toMatchObject({
      zoom: false,
      message: { ok: false, note: 'zoom needs a terminal of at least 120x40' },
    });
  });

  it('in the fault log, up moves the cursor onto a row and Enter selects its page', () => {
    const { view, ui, snap } = setup();
    const inLog: UiState = { ...ui, focus: 'faults' };
    const up = reduceKey(inLog, { type: 'move', move: 'up' }, view);
    const last = snap.faults.entries[snap.faults.entries.length - 1];
    expect(up.ui.faultCursor).toBe(last.seq);
    expect(up.effect).toBeUndefined();
    const enter = reduceKey(up.ui, { type: 'select-entry' }, view);
    if (last.gpa === undefined) {
      expect(enter.ui.message).toEqual({ ok: false, note: 'this entry has no address' });
    } else {
      expect(enter.effect).toMatchObject({ kind: 'select', gpa: last.gpa - (last.gpa % 4096) });
      expect(enter.ui.message?.note).toMatch(/^selected gpa 0x/);
    }
    expect(reduceKey(up.ui, { type: 'follow' }, view).ui.faultCursor).toBeNull();
  });

  it('any sequence of moves keeps the page cursor in range, selecting every page it lands on', () => {
    const { view, ui } = setup();
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...MOVES), { maxLength: 40 }), (moves) => {
        let cur = ui;
        for (const move of moves) {
          const r = reduceKey(cur, { type: 'move', move }, view);
          expect(r.ui.cursor).toBeGreaterThanOrEqual(0);
          expect(r.ui.cursor).toBeLessThan(view.snap.memory.pages);
          if (r.ui.cursor !== cur.cursor)
            expect(r.effect).toEqual({
              kind: 'select',
              gpa: view.snap.memory.base + r.ui.cursor * 4096,
              gva: null,
            });
          else expect(r.effect).toBeUndefined();
          cur = r.ui;
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('the fault-log filter', () => {
  const KINDS: FaultKind[] = ['read', 'write', 'exec', 'mmio', 'evict', 'major', 'action'];
  const ORIGINS: FaultOrigin[] = ['fault', 'fill', 'action', 'reclaim', 'watch'];

  it('f cycles through every kind the log shows, watch hits, and back to all', () => {
    const { view, ui } = setup();
    const seen: FaultFilter[] = [];
    let state: UiState = ui;
    do {
      state = reduceKey(state, { type: 'filter' }, view).ui;
      seen.push(state.filter);
      expect(state.message).toEqual({ ok: true, note: `fault log shows: ${state.filter}` });
    } while (state.filter !== 'all' && seen.length < 20);
    expect(seen).toEqual(['read', 'write', 'exec', 'mmio', 'evict', 'major', 'watch', 'action', 'all']);
    expect([...FAULT_FILTERS].sort()).toEqual(['all', ...KINDS, 'watch'].sort());
  });

  it('each filter shows exactly its rows, in log order (property, against a plain model)', () => {
    const entry = fc.record({ kind: fc.constantFrom(...KINDS), origin: fc.constantFrom(...ORIGINS) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), (raw) => {
        const log: FaultLogEntry[] = raw.map((e, seq) => ({ seq, ...e }));
        for (const filter of FAULT_FILTERS) {
          const want = log.filter((e) =>
            filter === 'all' ? true : filter === 'watch' ? e.origin === 'watch' : e.kind === filter,
          );
          expect(filterFaults(log, filter)).toEqual(want);
        }
        // the kind filters between them show every row once
        const byKind = KINDS.flatMap((k) => filterFaults(log, k).map((e) => e.seq)).sort((a, b) => a - b);
        expect(byKind).toEqual(log.map((e) => e.seq));
      }),
    );
  });
});

describe('the vCPU and VM selectors (c C, v V)', () => {
  const shownAs = (view: KeyView, shown: TuiSnapshot['shown']): KeyView => ({
    ...view,
    snap: { ...view.snap, shown },
  });
  const vcpu = (index: number, count: number) => ({ index, count, power: 'running', instructions: 0 });
  const vm = (index: number, count: number) => ({ index, count, name: `g${index}`, instructions: 0 });

  it('the keys name the commands; shift goes the other way', () => {
    expect(keyToCommand('c', {}, false)).toEqual({ type: 'show', which: 'cpu', step: 1 });
    expect(keyToCommand('C', {}, false)).toEqual({ type: 'show', which: 'cpu', step: -1 });
    expect(keyToCommand('v', {}, false)).toEqual({ type: 'show', which: 'vm', step: 1 });
    expect(keyToCommand('V', {}, false)).toEqual({ type: 'show', which: 'vm', step: -1 });
    expect(keyToCommand('c', { ctrl: true }, false)).toEqual({ type: 'quit' });
    expect(keyToCommand('c', {}, true)).toEqual({ type: 'none' }); // help open
  });

  it('c shows the next vCPU round, C the previous; the UI state is unchanged', () => {
    const { view, ui } = setup();
    const at = (i: number, step: 1 | -1) =>
      reduceKey(ui, { type: 'show', which: 'cpu', step }, shownAs(view, { cpu: vcpu(i, 4) }));
    expect(at(0, 1)).toEqual({
      ui,
      effect: { kind: 'call', call: { verb: 'show', which: 'cpu', index: 1 } },
    });
    expect(at(3, 1).effect).toEqual({ kind: 'call', call: { verb: 'show', which: 'cpu', index: 0 } });
    expect(at(0, -1).effect).toEqual({ kind: 'call', call: { verb: 'show', which: 'cpu', index: 3 } });
  });

  it('v shows the next guest and the fault log follows its newest entries', () => {
    const { view, ui } = setup();
    const scrolled: UiState = { ...ui, faultCursor: 7, holdScroll: 3 };
    const r = reduceKey(scrolled, { type: 'show', which: 'vm', step: 1 }, shownAs(view, { vm: vm(1, 2) }));
    expect(r.effect).toEqual({ kind: 'call', call: { verb: 'show', which: 'vm', index: 0 } });
    expect(r.ui).toEqual({ ...scrolled, faultCursor: null, holdScroll: 0 });
  });

  it('with one vCPU or one guest the key is refused in one line, with no effect', () => {
    const { view, ui } = setup();
    for (const shown of [undefined, { cpu: vcpu(0, 1), vm: vm(0, 1) }]) {
      const cpu = reduceKey(ui, { type: 'show', which: 'cpu', step: 1 }, shownAs(view, shown));
      expect(cpu.effect).toBeUndefined();
      expect(cpu.ui.message).toEqual({
        ok: false,
        note: 'vCPU: this guest has one (start it with --cpus N for several)',
      });
      const vmKey = reduceKey(ui, { type: 'show', which: 'vm', step: -1 }, shownAs(view, shown));
      expect(vmKey.effect).toBeUndefined();
      expect(vmKey.ui.message?.ok).toBe(false);
      expect(vmKey.ui.message?.note).toMatch(/^VM: one guest here/);
    }
  });
});
