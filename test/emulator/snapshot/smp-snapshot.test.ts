/*
 * Snapshots of a machine of four vCPUs (the smp-sum samples), on both architectures and every
 * format: each snapshot holds every vCPU's registers, power state and counts and the round-robin's
 * position, so a restored run continues exactly. For each arch and format one reference run is
 * cut at several points that no quantum boundary lines up with (before the secondaries are up,
 * while one starts, mid-sum, after they stopped), a full snapshot taken at each and a diff over
 * the first; then:
 *
 *   - the cut reference run ends exactly as an uncut one: console, stop, per-vCPU instruction
 *     counts and turns, final RAM (a cut inside a quantum moves no wakeup and no turn);
 *   - the points are what they claim: the first has vCPUs 1-3 off, a later one all four on;
 *   - a machine restored from each point (full, and base plus diff), with another format, host
 *     layout and seed, ends the same, vCPU by vCPU;
 *   - a snapshot restores only into a machine of the same vCPU count and quantum (a SnapshotError
 *     that changes nothing), and encodes and decodes to itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GuestImage } from '../../../emulator/image.js';
import type { Machine, MachineOptions, StopReason } from '../../../emulator/machine.js';
import { decodeSnapshot, encodeSnapshot } from '../../../emulator/snapshot/snapshot-file.js';
import {
  dirtySince,
  mergeDiff,
  ramDigest,
  SnapshotError,
  takeDiffSnapshot,
  type Snapshot,
} from '../../../emulator/snapshot/snapshot.js';
import { PAGE_SIZE } from '../../../mmu/addr.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';
import {
  ARCHES,
  FORMATS,
  MEM,
  closeAll,
  expectedConsole,
  loadSample,
  machine,
  samples,
  withoutFullChecks,
} from '../nested/nested-harness.js';

withoutFullChecks();
afterEach(closeAll);

const QUANTUM = 1_000;
const SMP = { cpus: 4, quantum: QUANTUM } as const;

interface End {
  readonly stop: StopReason;
  readonly console: string;
  readonly instructions: number;
  readonly cores: readonly { power: string; insns: number; turns: number }[];
  readonly digest: string;
}

const endOf = (m: Machine, stop: StopReason): End => ({
  stop,
  console: m.console,
  instructions: m.instructions,
  cores: m.cpus.cores.map((c) => ({ power: c.power, insns: c.insns, turns: c.turns })),
  digest: ramDigest(m),
});

interface Point {
  readonly full: Snapshot;
  readonly diff: Snapshot | null;
}

/* Run to the end, cut at `at` (ascending) for a full snapshot each and a diff over the first. */
function reference(img: GuestImage, opts: Partial<MachineOptions>, at: readonly number[]) {
  const m = machine(img, { ...SMP, ...opts });
  const points: Point[] = [];
  const dirty = new Uint8Array(MEM / PAGE_SIZE / 8);
  let baseId = '';
  for (const next of at) {
    while (m.instructions < next) expect(m.runSlice(next - m.instructions)).toBeNull();
    const full = m.snapshot();
    if (points.length === 0) {
      m.harvestDirty();
      baseId = encodeSnapshot(full, img.origin).id;
      points.push({ full, diff: null });
    } else {
      dirtySince(m, points[0].full, dirty);
      points.push({ full, diff: takeDiffSnapshot(m, baseId, dirty) });
    }
  }
  return { end: endOf(m, m.run()), points };
}

function restored(img: GuestImage, s: Snapshot, opts: Partial<MachineOptions>): End {
  const m = machine(img, { ...SMP, ...opts });
  m.restore(s);
  expect(m.instructions).toBe(s.state.instructions);
  return endOf(m, m.run());
}

const OTHER: Record<FormatName, FormatName> = { ept: 'npt', npt: 's2', s2: 'ept' };

describe.each(ARCHES.flatMap((a) => FORMATS.map((f) => [a, f] as const)))(
  'smp-sum-%s on %s',
  (arch, format) => {
    it('snapshots at several points restore to the uninterrupted end, vCPU by vCPU, full or base plus diff', async () => {
      const sample = samples().find((s) => s.name === `smp-sum-${arch}`)!;
      expect(sample.cpus).toBe(4);
      const img = await loadSample(sample);
      const plain = machine(img, { ...SMP, format });
      const want = endOf(plain, plain.run());
      expect(want.console).toBe(expectedConsole(sample));
      expect(want.stop.code).toBe(0);
      const n = want.instructions;
      // inside quanta, never on a boundary: 40,990 falls while vCPU 0 waits for the first secondary
      // to start (x86-64: the mailbox command is written, the AP takes it at the turn's end); n - 3
      // at the very end
      const at = [0, 1_237, 20_011, 40_990, Math.floor(n * 0.6) + 501, n - 3];
      const { end, points } = reference(img, { format }, at);
      expect(end).toEqual(want);
      const power = (p: Point) => p.full.state.vcpus.map((v) => v.power);
      expect(power(points[1])).toEqual(['on', 'off', 'off', 'off']); // before the secondaries are up
      expect(points.some((p) => power(p).every((s) => s === 'on'))).toBe(true); // mid-sum
      // x86-64's secondaries have halted by then (a restore must know the run ends in a halt)
      if (arch === 'x86_64')
        expect(power(points[points.length - 1]).slice(1)).toEqual(Array(3).fill('halted'));
      for (const [i, p] of points.entries()) {
        const opts = { format: OTHER[format], hostLayout: 'identity' as const, seed: 11 + i };
        expect(restored(img, p.full, opts), `full snapshot at ${at[i]}`).toEqual(want);
        if (p.diff === null) continue;
        const merged = mergeDiff(points[0].full, p.diff);
        expect(encodeSnapshot(merged, img.origin).id).toBe(encodeSnapshot(p.full, img.origin).id);
        expect(restored(img, merged, { format }), `base plus diff at ${at[i]}`).toEqual(want);
      }
    });
  },
);

describe.each(ARCHES)('smp-sum-%s: what a snapshot of four vCPUs fits', (arch) => {
  it('refuses another vCPU count or quantum, changing nothing; the file keeps every vCPU', async () => {
    const img = await loadSample(samples().find((s) => s.name === `smp-sum-${arch}`)!);
    const a = machine(img, SMP);
    expect(a.runSlice(30_000)).toBeNull();
    while (a.instructions < 60_123) expect(a.runSlice(60_123 - a.instructions)).toBeNull();
    const s = a.snapshot();
    expect(s.state.vcpus).toHaveLength(4);
    expect(s.state.schedule.quantum).toBe(QUANTUM);
    expect(s.state.vcpus.reduce((k, v) => k + v.insns, 0)).toBe(60_123);
    const back = decodeSnapshot(encodeSnapshot(s, 'g').bytes).snapshot;
    expect(back.state.vcpus).toEqual(s.state.vcpus);
    expect(back.state.schedule).toEqual(s.state.schedule);
    for (const opts of [{ cpus: 1 }, { cpus: 2, quantum: QUANTUM }, { ...SMP, quantum: 999 }]) {
      const b = machine(img, opts);
      const before = ramDigest(b);
      expect(() => b.restore(s)).toThrow(SnapshotError);
      expect([b.instructions, ramDigest(b)]).toEqual([0, before]);
    }
    const one = machine(img, { cpus: 1 });
    const single = one.snapshot();
    expect(single.state.schedule.quantum).toBe(Infinity);
    expect(() => machine(img, SMP).restore(single)).toThrow(/the snapshot has 1 vCPUs, the machine 4/);
  });
});
