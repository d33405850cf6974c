/*
 * Table stealing never livelocks: the leaf tables an instruction just faulted into are busy (the
 * pool's recent-table rule), so a guest whose working set fits progresses under constant stealing,
 * and one that cannot fit stops at once with a clear host-memory fault instead of spinning.
 * (Before the rule, memtouch at guest RAM + 5 or 6 table frames stole 400,000 tables without
 * finishing: each fault stole the table the next fill needed.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { Machine } from '../../../emulator/machine.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';

const memBytes = 16 << 20;
const frames = (n: number) => memBytes + n * 4096;

describe('stealing under a squeezed --host-mem', () => {
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
