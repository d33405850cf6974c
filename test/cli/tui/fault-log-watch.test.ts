// A gdb watchpoint's nested faults reach the live view's fault log as 'watch' entries (and the
// trace as 'watch' events), through the same sink the live session gives the Machine.
import { describe, expect, it } from 'vitest';
import { Watches } from '../../../cli/gdb/watches.js';
import { faultColumns, faultRowText } from '../../../cli/tui/faults-pane.js';
import { openTuiSession } from '../../../cli/tui/machine-port.js';
import { isPause } from '../../../emulator/debug/debug-pause.js';
import type { MachineEvent } from '../../../emulator/events.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { gva } from '../../../mmu/addr.js';

describe('the fault log and a watched page', () => {
  it('shows the watch fault with its access, gpa and gva, and the trace carries it', async () => {
    const image = await loadGuest('guests/x86_64/memtouch.s', { memBytes: 16 << 20 });
    const traced: MachineEvent[] = [];
    const trace = { enabled: true, emit: (e: MachineEvent) => void traced.push(e) };
    const { session, machine, collector } = await openTuiSession(image, {
      guest: 'memtouch.s',
      machine: { memBytes: 16 << 20 },
      trace,
      schedule: () => {},
    });
    try {
      const watches = new Watches(machine);
      expect(watches.add({ type: 2, gva: gva(0x203000), length: 8 })).toBeNull();
      let r = machine.debugSlice(1_000_000);
      expect(r !== null && isPause(r) && r.kind === 'watch').toBe(true);
      const entry = collector.faults().entries.find((e) => e.origin === 'watch')!;
      expect(entry).toMatchObject({ kind: 'write', gpa: 0x203000, gva: 0x203000, result: 'watch' });
      expect(faultRowText(entry, faultColumns([entry], true))).toMatch(
        / write watch {2}0x00203000 .* 0x0*203000$/,
      );
      expect(traced.some((e) => e.type === 'watch' && e.gpa === 0x203000 && e.access === 'write')).toBe(true);
      watches.clear();
      r = machine.debugSlice(1_000_000);
      expect(r === null || !isPause(r)).toBe(true);
    } finally {
      session.close();
    }
  });
});
