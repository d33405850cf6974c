/*
 * Snapshots end to end, in process (the CLI's own cases are in test/cli/snapshot.test.ts).
 *
 * For every sample guest, on each format of its architecture (x86-64: EPT and nPT; arm64:
 * stage-2), one reference run takes a full snapshot at 64 instructions and at every count four
 * times the last (256, 1,024, ...), and at each of them after the first a diff over the first. Then:
 *
 *   - every diff laid over its base encodes to exactly the full snapshot of the same point;
 *   - the reference run's console and exit status are the sample's own (snapshots change nothing);
 *   - a machine restored from the last point (base plus diff) and one restored from the point
 *     before it (full), each with another host layout and, on x86-64, the other format, run to the
 *     same console, exit, instruction count and final RAM digest as the reference; short guests
 *     are also restored from instruction 0.
 *
 * Then the fault storm: `pattern` writing four times as many pages as the host has frames, with
 * snapshots taken while pages are swapped out, restored into a host that is not squeezed and into
 * one squeezed with another policy, from a full snapshot and from base plus diff.
 *
 * Full invariant sweeps are off here (other suites run them); this suite checks what the guest
 * sees, and must stay fast.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GuestImage } from '../../../emulator/image.js';
import type { Machine, MachineOptions, StopReason } from '../../../emulator/machine.js';
import { tableRoomFor } from '../../../emulator/nested-vm.js';
import { encodeSnapshot } from '../../../emulator/snapshot/snapshot-file.js';
import {
  dirtySince,
  mergeDiff,
  ramDigest,
  takeDiffSnapshot,
  type Snapshot,
} from '../../../emulator/snapshot/snapshot.js';
import { PAGE_SIZE } from '../../../mmu/addr.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';
import {
  ARCH_FORMATS,
  ARCHES,
  MEM,
  closeAll,
  expectedConsole,
  loadGuestFile,
  loadSample,
  machine,
  samples,
  withoutFullChecks,
} from '../nested/nested-harness.js';

withoutFullChecks();
afterEach(closeAll);

/* dirtylog guests run until stopped: give them an end */
const LIMIT = 40_000;
const SLICE = 2_000_000;

interface Point {
  readonly at: number;
  readonly full: Snapshot;
  /** A diff over the first point (null at the first point). */
  readonly diff: Snapshot | null;
  /** Guest pages swapped out when it was taken. */
  readonly swapped: number;
}

interface End {
  readonly stop: StopReason;
  readonly console: string;
  readonly instructions: number;
  readonly digest: string;
}

const endOf = (m: Machine, stop: StopReason): End => ({
  stop,
  console: m.console,
  instructions: m.instructions,
  digest: ramDigest(m),
});

/* Run to the end, snapshotting at 64, 256, 1,024, ... and taking diffs over the first. */
function reference(
  img: GuestImage,
  opts: Partial<MachineOptions>,
  first = 64,
): { end: End; points: Point[] } {
  const m = machine(img, opts);
  const points: Point[] = [];
  const dirty = new Uint8Array(MEM / PAGE_SIZE / 8);
  let baseId = '';
  for (let next = first; ;) {
    const stop = m.runSlice(Math.min(SLICE, next - m.instructions));
    if (stop !== null) return { end: endOf(m, stop), points };
    if (m.instructions < next) continue;
    const full = m.snapshot();
    const swapped = m.vm!.ramSwapped().reduce((n, b) => n + b, 0);
    if (points.length === 0) {
      m.harvestDirty(); // the log counts from the base on
      baseId = encodeSnapshot(full, img.origin).id;
      points.push({ at: next, full, diff: null, swapped });
    } else {
      dirtySince(m, points[0].full, dirty);
      points.push({ at: next, full, diff: takeDiffSnapshot(m, baseId, dirty), swapped });
    }
    next *= 4;
  }
}

/* A fresh machine of `img` made into the snapshot's guest, run to its end. */
function restored(img: GuestImage, s: Snapshot, opts: Partial<MachineOptions>): End {
  const m = machine(img, opts);
  m.restore(s);
  expect(m.instructions).toBe(s.state.instructions);
  return endOf(m, m.run());
}

const OTHER: Record<FormatName, FormatName> = { ept: 'npt', npt: 'ept', s2: 's2' };

describe.each(ARCH_FORMATS)('%s on %s', (arch, format) => {
  it.each(samples().filter((s) => s.arch === arch))(
    '$name: restored runs end as the uninterrupted one',
    async (sample) => {
      const img = await loadSample(sample);
      const maxInsns = sample.exit === 'limit' ? LIMIT : undefined;
      const cpus = sample.cpus; // smp-sum: four vCPUs, every one's state in each snapshot
      const { end, points } = reference(img, { format, maxInsns, cpus });
      if (sample.exit !== 'limit') expect(end.console).toBe(expectedConsole(sample));
      expect(end.stop.code).toBe(sample.exit === 'limit' ? 6 : sample.exitStatus);
      expect(points.length).toBeGreaterThan(0);
      for (const p of points.slice(1))
        expect(encodeSnapshot(mergeDiff(points[0].full, p.diff!), img.origin).id).toBe(
          encodeSnapshot(p.full, img.origin).id,
        );
      const last = points[points.length - 1];
      const tries: [Snapshot, Partial<MachineOptions>][] = [
        [
          last.diff === null ? last.full : mergeDiff(points[0].full, last.diff),
          { format: OTHER[format], hostLayout: 'identity' },
        ],
      ];
      if (points.length > 1)
        tries.push([points[points.length - 2].full, { format, hostLayout: 'identity', seed: 7 }]);
      if (end.instructions < 500_000) {
        const zero = machine(img, { format, cpus });
        tries.push([zero.snapshot(), { format: OTHER[format], seed: 3 }]);
      }
      for (const [snap, opts] of tries) expect(restored(img, snap, { ...opts, maxInsns, cpus })).toEqual(end);
    },
  );
});

const GUEST_FRAMES = 32;
const SQUEEZED = tableRoomFor(MEM) + GUEST_FRAMES * PAGE_SIZE;

describe.each(ARCHES)('%s: pattern in a fault storm (4x overcommit)', (arch) => {
  it('snapshots taken while pages are swapped out restore, squeezed or not, full or as base plus diff', async () => {
    const img = await loadGuestFile(arch, 'pattern.s', { PAGES: 4 * GUEST_FRAMES, PAGING: 1 });
    const squeezed = { hostBytes: SQUEEZED };
    const { end, points } = reference(img, squeezed, 4096);
    expect(end.console).toMatch(/verified, sum 0x[0-9a-f]+\n$/);
    // a point in the storm: some of the pages it holds came from the swap store
    const storm = points.filter((p) => p.swapped > 0 && p.diff !== null);
    expect(storm.length).toBeGreaterThan(0);
    const p = storm[storm.length - 1];
    expect(restored(img, p.full, {})).toEqual(end);
    expect(
      restored(img, mergeDiff(points[0].full, p.diff!), { ...squeezed, reclaim: 'fifo', seed: 5 }),
    ).toEqual(end);
    const plain = machine(img);
    expect(endOf(plain, plain.run())).toEqual(end);
  });
});
