/*
 * Post-copy end to end on the library side: the guest resumes on the destination with pages
 * still missing, and every path into guest memory meets the pager -- the vCPU's nested faults
 * (c-writer), the guest walk reading its own page tables (x86-64 paging.s) and the DMA engine's
 * page holds (arm64 dma.s). Each case checks the console against the sample's expected file,
 * the reference run (exit, instruction count, and the final RAM page by page), and that every
 * missing page arrived once. A control run without the pager shows those checks can fail.
 * NESTVM_CHECKS=full is off here (rig.ts).
 */
import { describe, expect, it } from 'vitest';
import type { MigrationResult } from '../../../emulator/migration/migration.js';
import type { MachineEvent } from '../../../emulator/events.js';
import { EventLog } from '../../../mmu/events.js';
import { MEM, expected, migrationRig } from './rig.js';

const migration = migrationRig({ bandwidth: 4, postcopy: { after: 0 } });

/* What every completed post-copy must satisfy. */
function expectSound(r: MigrationResult, console: string): void {
  const p = r.postcopy!;
  expect(r.precopy).toBe('postcopy');
  expect(r.handover).toMatchObject({ stopAndCopy: 0, mismatch: null });
  expect(p.switchPages).toBe(0);
  expect(p.pending).toBeGreaterThan(0);
  expect(p.requested + p.pushed).toBe(p.pending);
  expect(p.missing).toBe(0);
  expect(r.reference).toMatchObject({ console: true, exit: true, instructions: true, ram: null });
  expect(r.console).toBe(console);
  expect(r.instructions.source + r.instructions.destination).toBe(r.reference!.totalInstructions);
}

describe('post-copy', () => {
  it('x86_64 c-writer after one round, into nPT: the hot window faults over, the rest is pushed', async () => {
    const log = new EventLog<MachineEvent>();
    const m = await migration('x86_64/c-writer/c-writer.elf', {
      startAfter: 1_000_000,
      postcopy: { after: 1 },
      destination: { memBytes: MEM, seed: 3, format: 'npt', sink: log },
    });
    const r = m.run();
    expectSound(r, expected('c-writer-x86_64'));
    expect(r.rounds).toHaveLength(1);
    expect(r.postcopy!.pending).toBe(r.rounds[0].remaining);
    const requests = log.events.filter((e) => e.type === 'page-request');
    expect(requests.length).toBe(r.postcopy!.requested);
    expect(requests.length).toBeGreaterThan(0);
  });

  it('x86_64 paging: the guest walk faults its own page tables over (EPT to nPT)', async () => {
    const mem = 16 << 20; // the sample maps pages past 4 MiB
    const log = new EventLog<MachineEvent>();
    const m = await migration(
      'x86_64/paging.s',
      {
        destination: { memBytes: mem, format: 'npt', sink: log },
        sliceInsns: 500,
        bandwidth: 1,
        startAfter: 8_000, // paging is on: the first walks read table pages still missing
      },
      mem,
    );
    const r = m.run();
    expectSound(r, expected('paging-x86_64'));
    // a request for a page other than the one the next fill translates was a table page of the walk
    const ev = log.events;
    const byWalk = ev.filter((e, i) => {
      if (e.type !== 'page-request') return false;
      const fill = ev.slice(i + 1).find((x) => x.type === 'fill');
      return fill?.type === 'fill' && fill.gpa >>> 12 !== e.gpa >>> 12;
    });
    expect(byWalk.length).toBeGreaterThan(0);
  });

  it('arm64 dma: the DMA engine holds pages the pager has to bring', async () => {
    const log = new EventLog<MachineEvent>();
    const m = await migration('arm64/dma.s', {
      sliceInsns: 2_000,
      bandwidth: 1,
      startAfter: 95_000, // just before the guest starts its transfers
      destination: { memBytes: MEM, hostLayout: 'identity', sink: log },
    });
    const r = m.run();
    expectSound(r, expected('dma-arm64'));
    // a request whose next fill-or-hold is a hold came from the device's hold, not the vCPU's fill
    const ev = log.events;
    const byHold = ev.filter((e, i) => {
      if (e.type !== 'page-request') return false;
      const next = ev.slice(i + 1).find((x) => x.type === 'fill' || x.type === 'hold');
      return next?.type === 'hold' && next.gpa === e.gpa;
    });
    expect(byHold.length).toBeGreaterThan(0);
  });

  it('gives the same requests and pushes every time', async () => {
    const once = async () => {
      const m = await migration('arm64/c-writer/c-writer.elf', { startAfter: 600_000, bandwidth: 2 });
      return m.run().postcopy;
    };
    const a = await once();
    expect(a!.requested).toBeGreaterThan(0);
    expect(await once()).toEqual(a);
  });

  it('control: without the pager the destination runs on missing pages and the checks say so', async () => {
    const m = await migration('x86_64/c-writer/c-writer.elf', { startAfter: 1_000_000, bandwidth: 2 });
    expect(m.warmUp()).toBeNull();
    const phase = m.switchOver([...Array(m.source.memBytes / 4096).keys()].filter((i) => i % 3 === 0));
    m.destination.vm!.ram.detachSupplier(); // the guest now sees stale or zero pages until pushed
    const stop = phase.run() ?? m.destination.run();
    const r = m.finishPostcopy(stop);
    expect(r.postcopy!.requested).toBe(0);
    const ref = r.reference!;
    expect(ref.console && ref.exit && ref.instructions && ref.ram === null).toBe(false);
  });
});
