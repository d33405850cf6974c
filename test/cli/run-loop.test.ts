import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGuest } from '../../emulator/loaders/index.js';
import { Machine } from '../../emulator/machine.js';
import {
  EXIT_INTERRUPTED,
  runSlices,
  STATUS_AFTER_MS,
  StatusLine,
  statusLineWanted,
  statusText,
} from '../../cli/run-loop.js';
import { runReport, summaryText } from '../../cli/run-report.js';
import { spawnCli } from './spawn.js';

const MEM = 16 << 20;
const dir = mkdtempSync('/tmp/nestvm-loop-');
const spin = join(dir, 'spin.s');
writeFileSync(spin, '; arch: x86_64\nspin:\n  jmp spin\n');
// Says it is running (one console byte), then spins: the signal goes only once the run is under way.
const readySpin = join(dir, 'ready-spin.s');
writeFileSync(readySpin, '; arch: x86_64\n  mov dx, 0xe9\n  mov al, 0x52\n  out dx, al\nspin:\n  jmp spin\n');

describe('the status line', () => {
  it('shows instructions, MIPS, faults and resident pages', () => {
    expect(statusText({ instructions: 12_345_678, ms: 2500, faults: 258, residentPages: 1234 })).toBe(
      'nestvm: running 2.5 s, 12,345,678 instructions (4.9 MIPS), 258 nested faults, 1,234 pages resident',
    );
    expect(statusText({ instructions: 0, ms: 0, faults: 0, residentPages: 0 })).toMatch(/\(0\.0 MIPS\)/);
  });

  it('is wanted only on a terminal stderr and without --json', () => {
    const tty = { write: () => true, isTTY: true };
    const pipe = { write: () => true };
    expect(statusLineWanted(tty, false)).toBe(true);
    expect(statusLineWanted(tty, true)).toBe(false);
    expect(statusLineWanted(pipe, false)).toBe(false);
    expect(statusLineWanted({ ...pipe, isTTY: false }, false)).toBe(false);
  });

  it('draws over itself and clears only what it drew', () => {
    let out = '';
    const line = new StatusLine({ write: (t: string) => (out += t) });
    line.clear();
    expect(out).toBe('');
    line.draw('a');
    line.draw('b');
    line.clear();
    expect(out).toBe('\r\x1b[2Ka\r\x1b[2Kb\r\x1b[2K');
  });

  it('appears after the first seconds, refreshes, and is cleared before the loop returns', async () => {
    const image = await loadGuest(spin, { memBytes: MEM });
    const m = new Machine(image, { memBytes: MEM, maxInsns: 40 * 1000, sliceInsns: 1000 });
    let clock = 0;
    const writes: string[] = [];
    try {
      const stop = await runSlices(m, {
        status: new StatusLine({ write: (t: string) => writes.push(t) }),
        interrupted: () => false,
        now: () => (clock += 100), // 100 ms a slice
      });
      expect(stop.reason).toBe('limit');
    } finally {
      m.close();
    }
    const draws = writes.filter((w) => w.includes('running'));
    // 40 slices of 100 ms: nothing before 2 s, then one every 250 ms (every third slice).
    expect(draws.length).toBeGreaterThanOrEqual(5);
    expect(draws.length).toBeLessThanOrEqual(8);
    expect(draws[0]).toMatch(new RegExp(`running ${(STATUS_AFTER_MS / 1000).toFixed(1)}|running 2\\.`));
    expect(writes[writes.length - 1]).toBe('\r\x1b[2K');
  });
});

describe('Ctrl-C', () => {
  it('an interrupt between slices ends the loop as interrupted (130) with the summary figures', async () => {
    const image = await loadGuest(spin, { memBytes: MEM });
    const m = new Machine(image, { memBytes: MEM, sliceInsns: 1000 });
    let slices = 0;
    try {
      const stop = await runSlices(m, { status: null, interrupted: () => ++slices === 3 });
      expect(stop).toMatchObject({ reason: 'interrupted', code: EXIT_INTERRUPTED, pc: 0x100000 });
      expect(m.instructions).toBe(3000);
      const text = summaryText(runReport(image, m, stop));
      expect(text).toMatch(
        /^nestvm: x86_64 guest was interrupted after 3,000 instructions, exit status 130\n/,
      );
      expect(text).toMatch(/interrupted \(Ctrl-C\) at pc 0x100000/);
    } finally {
      m.close();
    }
  });

  it('SIGINT to a running `nestvm run` prints the summary and exits 130', async () => {
    const { child, done } = spawnCli(['run', readySpin]);
    await new Promise<void>((ready) => child.stdout?.on('data', (d: Buffer) => d.includes('R') && ready()));
    child.kill('SIGINT');
    const r = await done;
    expect(r.status).toBe(130);
    expect(r.stderr).toMatch(/guest was interrupted after [\d,]+ instructions, exit status 130/);
    expect(r.stderr).toMatch(/page holds {6}0 taken/);
  }, 20_000);
});
