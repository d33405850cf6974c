/*
 * HostRun.slice(max), the live view's way of running several guests: cutting each turn into
 * slices of any size (one instruction, odd sizes, drawn by fast-check) gives the same run as
 * whole turns, with and without same-page merging: the same events in the same order (the slice
 * boundaries themselves aside: vcpu-enter, vcpu-exit, a client going on and off the CPU), the same consoles, the same ends and
 * the same merge figures.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostRun, type MergeOptions } from '../../emulator/host-run.js';
import type { MachineEvent } from '../../emulator/events.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { Machine } from '../../emulator/machine.js';
import { sharedHost } from '../../emulator/nested-host.js';
import type { EventSink } from '../../mmu/events.js';

const root = join(import.meta.dirname, '../..');
const MEM = 2 * 1024 * 1024;
const GUESTS = ['guests/x86_64/c-hello/c-hello.elf', 'guests/x86_64/memtouch.s'];

/* What marks where a slice begins and ends: a vCPU entering and leaving, its client going on and off the CPU. */
const sliceEdge = (e: MachineEvent): boolean =>
  e.type === 'vcpu-enter' ||
  e.type === 'vcpu-exit' ||
  (e.type === 'client-state' && (e.state === 'ON_CPU' || e.state === 'IDLE'));

/* The guests on one host, run to their end with slices of the sizes `cuts` gives (null: whole turns). */
async function runAll(merge: MergeOptions | null, cuts: (() => number) | null) {
  const events: string[] = [];
  const sink: EventSink<MachineEvent> = {
    enabled: true,
    emit: (e) => {
      if (!sliceEdge(e)) events.push(JSON.stringify(e));
    },
  };
  const paths = merge === null ? GUESTS : [GUESTS[0], GUESTS[0]];
  const images = await Promise.all(paths.map((p) => loadGuest(join(root, p), { memBytes: MEM })));
  const host = sharedHost(images.length, MEM, { sink });
  const machines = images.map((img) => new Machine(img, { memBytes: MEM, host, sink, sliceInsns: 7_000 }));
  try {
    const run = new HostRun(host, machines, merge, sink);
    while (!run.done) run.slice(cuts === null ? undefined : cuts());
    return {
      events,
      consoles: machines.map((m) => m.console),
      counts: machines.map((m) => m.instructions),
      ends: run.stops.map((s) => s?.message),
      merge: run.mergeStats(),
    };
  } finally {
    for (const m of machines) m.close();
  }
}

describe('HostRun.slice(max): turns cut anywhere run the same', () => {
  it.each([
    ['two guests', null],
    ['two c-hello under --merge', { interval: 5_000, pages: 256 }],
  ] as const)(
    '%s',
    async (_, merge) => {
      const whole = await runAll(merge, null);
      expect(whole.events.length).toBeGreaterThan(50);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 9_000 }), { minLength: 1, maxLength: 20 }),
          async (sizes) => {
            let k = 0;
            const cut = await runAll(merge, () => sizes[k++ % sizes.length]);
            expect(cut.consoles).toEqual(whole.consoles);
            expect(cut.counts).toEqual(whole.counts);
            expect(cut.ends).toEqual(whole.ends);
            expect(cut.merge).toEqual(whole.merge);
            expect(cut.events).toEqual(whole.events);
          },
        ),
        { numRuns: 4 },
      );
    },
    240_000,
  );
});
