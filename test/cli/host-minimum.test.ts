/*
 * The least --host-mem the CLI accepts (issue 11): the livelock command of the issue, one frame
 * above the old suggested minimum, is refused with a one-line reason that names the real minimum
 * (exit 2); at that minimum the guest runs as with plenty of memory, on both architectures, and so
 * does every walk and tui command's machine (they share the check through machineOptions).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { runCli } from './capture.js';

const MEM = 16 << 20;

describe('--host-mem below the least in which every instruction can retire', () => {
  it.each(['x86_64', 'arm64'] as const)('%s paging.s: refused one line, naming the minimum', async (arch) => {
    const r = await runCli('run', `guests/${arch}/paging.s`, '--host-mem', String(MEM + 6 * 4096));
    expect(r.status).toBe(EXIT.usage);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const m = /at least (\d+) \(guest RAM 16777216 \+ (\d+) page-table frames/.exec(lines[0]);
    expect(m, lines[0]).not.toBeNull();
    expect(Number(m![1])).toBe(MEM + Number(m![2]) * 4096);

    // at the minimum it runs, exactly as with plenty of memory
    const at = await runCli('run', `guests/${arch}/paging.s`, '--host-mem', m![1], '--json');
    expect(at.status).toBe(0);
    expect(JSON.parse(at.stdout).console).toBe(readFileSync(`guests/expected/paging-${arch}.txt`, 'utf8'));
    const below = await runCli('run', `guests/${arch}/paging.s`, '--host-mem', String(Number(m![1]) - 4096));
    expect(below.status).toBe(EXIT.usage);
  });

  it('walk refuses it the same way', async () => {
    const r = await runCli(
      'walk',
      'guests/x86_64/paging.s',
      '0x100000',
      '--host-mem',
      String(MEM + 6 * 4096),
    );
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/every instruction can retire only with at least \d+/);
  });
});
