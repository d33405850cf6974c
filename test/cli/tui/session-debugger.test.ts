// SessionCore with a debugger on its port (`tui --gdb`): while the debugger holds the guest the
// running loop pauses, run, step and slice are refused with its note, the status line carries
// the note, a debugger's run shows as running, and a guest that ended under it is stopped here.
import { describe, expect, it } from 'vitest';
import { TuiCollector } from '../../../cli/tui/collector.js';
import { SessionCore, type DebuggerHold } from '../../../cli/tui/session-core.js';
import { statusText } from '../../../cli/tui/status-bar.js';
import { Port } from './fake-port.js';

class HeldPort extends Port {
  hold: DebuggerHold = {
    held: false,
    running: false,
    note: 'gdb stub on 127.0.0.1:1: no gdb connected',
    ended: null,
  };
  debugger = () => this.hold;
}

function make() {
  const port = new HeldPort();
  const queue: (() => void)[] = [];
  let clock = 0; // 1 ms a reading: a turn ends after its 16 ms budget
  const s = new SessionCore(port, new TuiCollector(), {
    sliceSize: 10,
    now: () => (clock += 1),
    schedule: (t) => queue.push(t),
  });
  return { port, s, turn: () => queue.shift()?.() };
}

describe('SessionCore with a debugger attached', () => {
  it('runs while the debugger does not hold the guest, and pauses the moment it does', () => {
    const { port, s, turn } = make();
    expect(s.resume().ok).toBe(true);
    turn();
    expect(port.instructions()).toBeGreaterThan(0);
    port.hold = { held: true, running: false, note: 'gdb (127.0.0.1:1) has it: breakpoint', ended: null };
    const before = port.instructions();
    turn();
    expect(port.instructions()).toBe(before);
    const snap = s.snapshot();
    expect(snap.run).toMatchObject({ state: 'paused', reason: 'held by gdb', debugger: port.hold.note });
    expect(statusText(snap, null)).toMatch(
      /^PAUSED: held by gdb \| gdb \(127\.0\.0\.1:1\) has it: breakpoint \|/,
    );
  });

  it('refuses run, step and slice while the debugger holds or runs the guest', () => {
    const { port, s } = make();
    port.hold = { held: true, running: false, note: 'gdb (x) has it: watchpoint at 0x10', ended: null };
    for (const verb of [() => s.resume(), () => s.step(), () => s.stepSlice()]) {
      const o = verb();
      expect(o.ok).toBe(false);
      expect(o.note).toMatch(
        /: refused, gdb \(x\) has it: watchpoint at 0x10 \(continue or detach in gdb\)$/,
      );
    }
    expect(port.instructions()).toBe(0);
    port.hold = { held: false, running: true, note: 'gdb (x) runs the guest (continue)', ended: null };
    expect(s.step().ok).toBe(false);
    expect(s.snapshot().run.state).toBe('running');
  });

  it('a guest that ended under the debugger is stopped, and stays so after it left', () => {
    const { port, s } = make();
    port.hold = { held: true, running: false, note: 'gdb (x) has it: guest exited (status 0)', ended: 'hlt' };
    expect(s.snapshot().run).toMatchObject({ state: 'stopped', reason: 'hlt' });
    port.hold = { held: false, running: false, note: 'no gdb', ended: 'hlt' };
    expect(s.resume()).toEqual({ ok: false, note: 'run: the guest has stopped (hlt)' });
  });
});
