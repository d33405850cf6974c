/*
 * Table stealing never livelocks: what the instruction in flight has filled is busy (the pool's
 * in-flight rule, mmu/host/pinned-since-retire.ts), so a guest whose working set fits progresses
 * under constant stealing, and one that cannot fit stops at once with a clear host-memory fault
 * instead of spinning. (Before the rule, memtouch at guest RAM + 5 or 6 table frames stole 400,000
 * tables without finishing, and the issue-11 command, paging.s at guest RAM + 6 frames, ran for
 * ever: its store needs three leaf tables and there were two.) The fault-storm guard is the
 * backstop: with its bound lowered below what an instruction needs, the run stops with exit 4.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { Machine } from '../../../emulator/machine.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { asmGuest } from './nested-harness.js';

const memBytes = 16 << 20;
const frames = (n: number) => memBytes + n * 4096;

const load = (arch: string, file: string) =>
  loadGuest(join(PACKAGE_ROOT, `guests/${arch}/${file}`), { memBytes });

describe('stealing under a squeezed --host-mem', () => {
  it.each(['x86_64', 'arm64'] as const)(
    '%s paging.s with 2 leaf-table frames stops at once (the issue-11 livelock), with 3 it finishes',
    async (arch) => {
      const image = await load(arch, 'paging.s');
      const tight = new Machine(image, { memBytes, hostBytes: frames(6) });
      const stop = tight.run();
      expect(stop).toMatchObject({ reason: 'fault', code: 4 });
      expect(stop.message).toMatch(/host memory exhausted/);
      expect(tight.stats()!.faults.total).toBeLessThan(30);
      tight.close();
      const fits = new Machine(image, { memBytes, hostBytes: frames(7) });
      expect(fits.run()).toMatchObject({ code: 0 });
      expect(fits.console).toBe(
        readFileSync(join(PACKAGE_ROOT, `guests/expected/paging-${arch}.txt`), 'utf8'),
      );
      expect(fits.stats()!.tableSteals).toBeGreaterThan(0);
      fits.close();
    },
  );

  /* One instruction that takes two nested faults (two fresh data pages), after two that take none. */
  const TWO_FAULTS = {
    x86_64: 'mov rsi, 0x200000\nmov rdi, 0x400000\nmovsq\nhlt',
    arm64: 'movz x1, #0x4020, lsl #16\nmovk x1, #0x0ffc\nldr x2, [x1]\nb .',
  } as const;

  it.each(['x86_64', 'arm64'] as const)(
    '%s: more nested faults than the storm bound without a retired instruction stop the guest (exit 4)',
    async (arch) => {
      const image = await asmGuest(arch, TWO_FAULTS[arch], memBytes);
      const storm = new Machine(image, { memBytes, faultStormLimit: 1, maxInsns: 100 });
      const stop = storm.run();
      expect(stop).toMatchObject({ reason: 'fault', code: 4 });
      expect(stop.message).toMatch(
        /^nested fault storm: 2 nested faults retired no instruction \(the last at guest-physical 0x[0-9a-f]+, (read|write)\)/,
      );
      expect(storm.instructions).toBe(3); // the two before it retired; the third began
      storm.close();
      // the count starts again at every retirement: the code page's fault is not added in
      const calm = new Machine(image, { memBytes, faultStormLimit: 2, maxInsns: 100 });
      expect(calm.run().message ?? '').not.toMatch(/storm/);
      calm.close();
    },
  );

  it('x86-64 memtouch finishes correctly with 6 table frames, stealing all along', async () => {
    const image = await loadGuest(join(PACKAGE_ROOT, 'guests/x86_64/memtouch.s'), { memBytes });
    const m = new Machine(image, { memBytes, hostBytes: frames(6), maxInsns: 200_000 });
    const stop = m.run();
    expect(stop).toMatchObject({ reason: 'exit', code: 1 });
    expect(m.console).toBe(readFileSync(join(PACKAGE_ROOT, 'guests/expected/memtouch-x86_64.txt'), 'utf8'));
    expect(m.stats()!.tableSteals).toBeGreaterThan(0);
    expect(m.instructions).toBe(5058); // the same count as with plenty of memory: no replayed work
    m.close();
  });

  it.each(['x86_64', 'arm64'] as const)(
    '%s memtouch with 5 table frames stops at once with a host-memory fault',
    async (arch) => {
      const image = await loadGuest(join(PACKAGE_ROOT, `guests/${arch}/memtouch.s`), { memBytes });
      const m = new Machine(image, { memBytes, hostBytes: frames(5), maxInsns: 200_000 });
      const stop = m.run();
      expect(stop.reason).toBe('fault');
      expect(stop.message).toMatch(
        /host memory exhausted: no frame for a nested page table .* give --host-mem more room/,
      );
      expect(m.instructions).toBeLessThan(1000);
      m.close();
    },
  );
});
