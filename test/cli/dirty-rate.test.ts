// `nestvm dirty-rate`: windows of exact slices, a harvest after each; both dirty-log modes agree.
import { describe, expect, it } from 'vitest';
import { runCli } from './capture.js';

const json = async (...argv: string[]) => {
  const r = await runCli('dirty-rate', ...argv, '--json');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
};

describe('nestvm dirty-rate', () => {
  it('samples K windows of N instructions of a guest that never stops, the same in both modes', async () => {
    const bitmap = await json('dirtylog', '--window', '3000', '--windows', '4');
    expect(bitmap.windows.map((w: { instructions: number }) => w.instructions)).toEqual([
      3000, 3000, 3000, 3000,
    ]);
    expect(bitmap.summary.stop).toBeNull();
    expect(bitmap.summary.pages).toBe(
      bitmap.windows.reduce((s: number, w: { pages: number }) => s + w.pages, 0),
    );
    expect(bitmap.windows[1].pages).toBeGreaterThan(100); // the loop stores to a new page every ~8 instructions
    expect(bitmap.windows[1].pagesPerMillion).toBe(Math.round((bitmap.windows[1].pages * 1e7) / 3000) / 10);
    const ring = await json('dirtylog', '--window', '3000', '--windows', '4', '--dirty-log', 'ring');
    expect(ring.dirtyLog).toBe('ring');
    expect(ring.windows).toEqual(bitmap.windows);
  });

  it('ends with the guest: a shorter last window and its stop', async () => {
    const r = await json('memtouch', '--window', '2000', '--windows', '50');
    expect(r.summary.instructions).toBe(5058);
    expect(r.windows.at(-1).instructions).toBe(1058);
    expect(r.summary.stop).toEqual({ reason: 'exit', code: 1 });
    const limited = await json('dirtylog', '--window', '2000', '--max-insns', '5000');
    expect(limited.windows.map((w: { instructions: number }) => w.instructions)).toEqual([2000, 2000, 1000]);
    expect(limited.summary.stop.reason).toBe('limit');
  });

  it('refuses a zero window and --no-dirty-tracking in one line (exit 2)', async () => {
    for (const argv of [['--window', '0'], ['--no-dirty-tracking']]) {
      const r = await runCli('dirty-rate', 'dirtylog', ...argv);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
