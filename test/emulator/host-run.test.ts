/*
 * Several Machines on one host, with same-page merging: two copies of c-hello (x86-64, then
 * arm64) run round-robin on one NestedHost under the merge scanner. Each prints exactly what it
 * prints alone; the host ends with frames mapped by both VMs (their PV lists name a PTE of each,
 * write withheld in both), frames saved, and copy-on-write breaks (the sieve writes pages that were
 * merged); the pmap's own sweep passes; the same run twice gives the same figures.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Arch } from '../../emulator/arch.js';
import { HostRun } from '../../emulator/host-run.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { Machine } from '../../emulator/machine.js';
import { sharedHost } from '../../emulator/nested-host.js';
import { PROT_WRITE } from '../../mmu/prot.js';

const root = join(import.meta.dirname, '../..');
/* 2 MiB of guest RAM (x86-64 c-hello loads at 1 MiB): a small host keeps the full sweeps cheap. */
const MEM = 2 * 1024 * 1024;
const MERGE = { interval: 20_000, pages: 1024 };

async function image(arch: Arch) {
  return loadGuest(join(root, `guests/${arch}/c-hello/c-hello.elf`), { memBytes: MEM });
}

/* Two copies on one host, run to their ends; the run (machines closed) and what it showed. */
async function runPair(arch: Arch) {
  const img = await image(arch);
  const host = sharedHost(2, MEM, {});
  const machines = [0, 1].map(() => new Machine(img, { memBytes: MEM, host }));
  try {
    const run = new HostRun(host, machines, MERGE);
    while (!run.done) run.slice();
    host.pmap.checkInvariants(host.frames);
    host.shares.checkInvariants();
    for (const m of machines) m.vm!.vmspace.checkInvariants();
    const multi = run.multiMapped();
    return {
      consoles: machines.map((m) => m.console),
      codes: run.stops.map((s) => s!.code),
      stats: run.mergeStats(),
      multiMapped: multi.length,
      mappers: multi.length > 0 ? run.whoMaps(multi[0]) : [],
      perVm: machines.map((m) => m.stats()!.pv.multiMapped),
    };
  } finally {
    for (const m of machines) m.close();
  }
}

describe.each<Arch>(['x86_64', 'arm64'])('two c-hello guests on one host, merged (%s)', (arch) => {
  it('print what each prints alone, share frames across the VMs and break shares on writes', async () => {
    const alone = new Machine(await image(arch), { memBytes: MEM });
    let expected: string;
    try {
      expect(alone.run().code).toBe(0);
      expected = alone.console;
    } finally {
      alone.close();
    }
    const r = await runPair(arch);
    expect(r.consoles).toEqual([expected, expected]);
    expect(r.codes).toEqual([0, 0]);
    expect(r.multiMapped).toBeGreaterThan(0);
    expect(r.perVm.every((n) => n === r.multiMapped)).toBe(true); // pv.multiMapped in each VM's stats
    expect(r.stats.framesSaved).toBeGreaterThan(0);
    expect(r.stats.cowBreaks).toBeGreaterThan(0);
    expect(r.mappers.map((m) => m.vm).sort()).toEqual([0, 1]);
    for (const m of r.mappers) expect(m.prot & PROT_WRITE).toBe(0);
    expect(new Set(r.mappers.map((m) => m.gpa)).size).toBe(1); // the same page of the same image
    const again = await runPair(arch);
    expect(again.stats).toEqual(r.stats);
  });
});
