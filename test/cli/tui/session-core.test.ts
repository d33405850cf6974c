// SessionCore over a small deterministic MachinePort: run/pause/step rules, action logging to the
// fault log and the trace, stamp-cached snapshots, stop handling, close once.
import { describe, expect, it } from 'vitest';
import { gpa } from '../../../mmu/addr.js';
import { TuiCollector } from '../../../cli/tui/collector.js';
import { SessionCore } from '../../../cli/tui/session-core.js';
import { Port } from './fake-port.js';

function make(stopAt = Infinity, tick = 1) {
  const port = new Port(stopAt);
  const collector = new TuiCollector();
  const queue: (() => void)[] = [];
  let clock = 0;
  const traced: string[] = [];
  const s = new SessionCore(port, collector, {
    sliceSize: 10,
    now: () => (clock += tick),
    schedule: (t) => queue.push(t),
    trace: (n) => traced.push(n),
  });
  return { port, collector, s, queue, traced, turn: () => queue.shift()?.() };
}

describe('SessionCore', () => {
  it('speed keys walk the ladder; a paced run goes at its rate and waits on the timer', () => {
    const port = new Port();
    let clock = 0;
    const queue: (() => void)[] = [];
    const later: { turn: () => void; ms: number }[] = [];
    const s = new SessionCore(port, new TuiCollector(), {
      now: () => clock,
      schedule: (t) => queue.push(t),
      scheduleLater: (turn, ms) => later.push({ turn, ms }),
    });
    expect(s.changeSpeed(1)).toEqual({ ok: false, note: 'speed: already full speed' });
    for (let i = 0; i < 3; i++) s.changeSpeed(-1);
    expect(s.snapshot().run.speed).toBe(10_000);
    expect(s.resume().note).toBe('run at 10,000 instructions a second');
    queue.shift()!();
    expect(port.instructions()).toBe(0); // no time has passed yet
    for (let t = 0; t < 50; t++) {
      clock += later[0].ms;
      later.shift()!.turn();
    }
    // 50 turns of 20 ms = 1 s at 10,000 a second
    expect(port.instructions()).toBe(10_000);
    expect(queue).toHaveLength(0);
    expect(s.snapshot().run).toMatchObject({ state: 'running', speed: 10_000 });
    for (let i = 0; i < 3; i++) s.changeSpeed(-1);
    expect(s.changeSpeed(-1)).toEqual({ ok: false, note: 'speed: already 10 instructions a second' });
    for (let i = 0; i < 6; i++) s.changeSpeed(1);
    expect(s.snapshot().run.speed).toBeUndefined();
    expect(s.snapshot().faults.entries.at(-1)?.note).toBe('speed: full speed');
  });

  it('starts paused; step and slice run 1 and sliceSize instructions and are logged', () => {
    const { s, traced } = make();
    let snap = s.snapshot();
    expect(snap.run).toEqual({ state: 'paused', reason: 'paused at start' });
    expect(snap.cpu.regs.map((r) => r.name)).toEqual(['rax', 'rip']); // model order, known names only
    expect(s.step()).toEqual({ ok: true, note: 'step: 1 instruction' });
    expect(s.stepSlice().note).toBe('slice: 10 instructions');
    snap = s.snapshot();
    expect(snap.cpu.instructions).toBe(11);
    expect(snap.run).toEqual({ state: 'paused', reason: 'after slice' });
    expect(snap.faults.entries.map((e) => e.note)).toEqual(['step: 1 instruction', 'slice: 10 instructions']);
    expect(traced).toEqual(['step: 1 instruction', 'slice: 10 instructions']);
    expect(snap.memory.states[0]).toBe(3);
  });

  it('runs in turns while running, pauses, and reports the stop for good', () => {
    const { s, turn, queue } = make(1000);
    expect(s.resume().ok).toBe(true);
    expect(s.snapshot().run.state).toBe('running');
    turn();
    expect(s.snapshot().cpu.instructions).toBeGreaterThan(0);
    expect(s.pause().ok).toBe(true);
    const at = s.snapshot().cpu.instructions;
    turn();
    expect(s.snapshot().cpu.instructions).toBe(at);
    expect(s.snapshot().run).toEqual({ state: 'paused', reason: 'paused by user' });
    s.resume();
    while (queue.length) turn();
    const snap = s.snapshot();
    expect(snap.run).toEqual({ state: 'stopped', reason: 'hlt' });
    expect(snap.cpu.instructions).toBe(1000);
    expect(s.resume()).toMatchObject({ ok: false });
    expect(s.step().note).toBe('step: the guest has stopped (hlt)');
    expect(s.pause().ok).toBe(false);
  });

  it('runs bigger slices while they are quick, but the slice key still runs sliceSize', () => {
    const { s, port, turn } = make(Infinity, 0.25);
    const runs: number[] = [];
    const run = port.run.bind(port);
    port.run = (max) => {
      runs.push(max);
      return run(max);
    };
    s.resume();
    turn(); // the fake clock moves 0.25 ms per reading: every slice counts as quick
    s.pause();
    expect(runs[0]).toBe(10);
    expect(runs[1]).toBe(20);
    expect(Math.max(...runs)).toBe(10 * 64); // grown to the cap, never past it
    expect(s.stepSlice().note).toBe('slice: 10 instructions');
  });

  it('returns the same snapshot until something changes; select moves the stamp', () => {
    const { s, port, collector } = make();
    const a = s.snapshot();
    expect(s.snapshot()).toBe(a);
    s.select(gpa(0x3123));
    const b = s.snapshot();
    expect(b.stamp).toBeGreaterThan(a.stamp);
    expect(b.selection.gpa).toBe(0x3000);
    expect(port.calls).toContain('walk 12288');
    collector.emit({ type: 'generation', generation: 2 });
    expect(s.snapshot().stamp).toBeGreaterThan(b.stamp);
  });

  it('passes MMU verbs to the port, logs them, and closes once', () => {
    const { s, port } = make();
    s.harvest();
    s.toggleDirtyTracking();
    s.resetAccessed();
    s.evict(gpa(0x2000));
    s.toggleRegion(gpa(0x2000));
    expect(port.calls).toEqual([
      'harvest: 1 page dirty',
      'dirty tracking off',
      'reset accessed',
      'evict 8192',
      'unmap 8192',
    ]);
    const snap = s.snapshot();
    expect(snap.memory.dirtyTracking).toBe(false);
    expect(snap.faults.entries.filter((e) => e.kind === 'action')).toHaveLength(5);
    s.close();
    s.close();
    expect(port.closed).toBe(1);
  });
});
