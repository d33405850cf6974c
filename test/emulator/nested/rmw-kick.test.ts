/*
 * A kick from a store's own fill leaves the instruction exact, under both instruction counters.
 *
 * guests/<arch>/rmw-kick.s keeps a buffer's pages identical so the merge scanner shares them
 * (write withheld), reads each page (a read-only TLB entry), then changes it with one
 * read-modify-write or writeback store: the load hits, the store's fill is the nested write fault
 * that breaks the share, and that change kicks the vCPU out of the engine from inside the fill.
 * The fill is refused and the instruction begins again next slice (stop-cause.ts, SliceEnd.kicked);
 * before that was so under the count hook, the store completed, the engine left with the pc at the
 * instruction's start, and `add [mem], 1` added 2. The guest checks its own pages and registers;
 * here it must say so, every read-modify-write must have broken a share (so the kick happened on
 * the path under test, not before it), and the run must count exactly as many instructions as the
 * same guest unmerged (a retried instruction is counted once).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Arch } from '../../../emulator/arch.js';
import { HostRun } from '../../../emulator/host-run.js';
import { Machine } from '../../../emulator/machine.js';
import { sharedHost } from '../../../emulator/nested-host.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';
import { ARCH_FORMATS, closeAll, loadGuestFile, machine, MEM } from './nested-harness.js';

const PAGES = 32;
const ROUNDS: Record<Arch, number> = { x86_64: 7, arm64: 3 };
const MERGE = { interval: 5_000, pages: 1024 };

afterEach(closeAll);

async function merged(arch: Arch, format: FormatName, counter: 'hook' | 'block') {
  const img = await loadGuestFile(arch, 'rmw-kick.s', { PAGES });
  const host = sharedHost(1, MEM, {});
  const m = new Machine(img, { memBytes: MEM, host, format, counter });
  try {
    const run = new HostRun(host, [m], MERGE);
    while (!run.done) run.slice();
    return { console: m.console, code: run.stops[0]!.code, insns: m.instructions, stats: run.mergeStats() };
  } finally {
    m.close();
  }
}

describe.each(ARCH_FORMATS)('rmw-kick (%s, %s)', (arch, format) => {
  it.each(['hook', 'block'] as const)(
    'a store fill that kicks applies once (counter %s)',
    async (counter) => {
      const alone = machine(await loadGuestFile(arch, 'rmw-kick.s', { PAGES }), { format, counter });
      const plain = alone.run();
      const text = `rmw-kick: ${ROUNDS[arch]} rounds exact\n`;
      expect([plain.code, alone.console]).toEqual([0, text]);
      const r = await merged(arch, format, counter);
      expect([r.code, r.console]).toEqual([0, text]);
      expect(r.stats.cowBreaks).toBeGreaterThanOrEqual(PAGES * ROUNDS[arch]);
      expect(r.insns).toBe(alone.instructions);
    },
  );
});
