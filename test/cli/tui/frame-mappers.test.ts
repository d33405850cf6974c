/*
 * The Frames pane's data for a merged frame on a real host: two copies of c-hello under the merge
 * scanner, then frameInfo (what MachineTuiPort.frameOf gives the pane) for the most-mapped frame
 * names one PTE of each VM, in the PV list's order, with the page and rights without write, and
 * the VM of every page that shares the frame.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameInfo } from '../../../cli/tui/inspect.js';
import { HostRun } from '../../../emulator/host-run.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { Machine } from '../../../emulator/machine.js';
import { sharedHost } from '../../../emulator/nested-host.js';
import { PROT_WRITE } from '../../../mmu/prot.js';

const MEM = 2 * 1024 * 1024;

describe('frameInfo of a merged frame', () => {
  it('gives each PTE its VM, page and rights, and the VMs sharing the frame', async () => {
    const root = join(import.meta.dirname, '../../..');
    const img = await loadGuest(join(root, 'guests/x86_64/c-hello/c-hello.elf'), { memBytes: MEM });
    const host = sharedHost(2, MEM, {});
    const machines = [0, 1].map(() => new Machine(img, { memBytes: MEM, host }));
    try {
      const run = new HostRun(host, machines, { interval: 20_000, pages: 1024 });
      while (!run.done) run.slice();
      const f = run.multiMapped()[0];
      const info = frameInfo(host.pmap, f, host);
      expect(info.mappers).toHaveLength(info.ptes.length);
      expect(info.mappers!.map((m) => m.vm).sort()).toEqual([0, 1]);
      info.mappers!.forEach((m, i) => {
        expect(machines[m.vm].vm!.vmspace.gpt.lookup(m.gpa as never)?.pte).toBe(info.ptes[i]);
        expect(m.prot & PROT_WRITE).toBe(0);
      });
      expect(info.sharedBy!.length).toBe(host.shares.sharers[f]);
      expect(new Set(info.sharedBy)).toEqual(new Set([0, 1]));
    } finally {
      for (const m of machines) m.close();
    }
  });
});
