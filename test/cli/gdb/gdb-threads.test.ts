// The gdb stub's threads against the real gdb-multiarch, on smp-sum with four vCPUs, once per
// architecture: four threads listed (the secondaries powered off before they are started), a
// breakpoint only the secondaries reach stops with the right thread current, another thread's
// registers are its own vCPU's, stepi moves only the stepped vCPU, the next secondary to reach
// the breakpoint is reported as its thread, and `continue` runs to the guest's own end.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { runGdb, startStub } from './stub-harness.js';

const ARCHES = [
  {
    arch: 'x86_64',
    pc: 'rip',
    // lea r14, [rip + shared]: 7 bytes
    firstLen: 7,
    // the x86 APs wait for the mailbox: at the first stop vCPU 2 is not started, its rip the reset value
    thread3: () => [/CPU#2 \[powered off\]/, /rip\s+0x100000\s/],
  },
  {
    arch: 'arm64',
    pc: 'pc',
    firstLen: 4,
    // vCPU 0 starts all three with PSCI CPU_ON in one turn: vCPU 2 waits at its entry, x0 = its number
    thread3: (secondary: number) => [
      /CPU#2 \[running\]/,
      new RegExp(`x0\\s+0x2\\s[\\s\\S]*pc\\s+0x${secondary.toString(16)}\\s`),
    ],
  },
] as const;

/* The pc of each thread in the section between two echo markers: thread number -> pc. */
function pcs(out: string, from: string, to: string): Map<number, number> {
  const section = out.slice(out.indexOf(from), out.indexOf(to));
  const found = new Map<number, number>();
  for (const m of section.matchAll(
    /Thread (\d) \(Thread \d \(CPU#\d \[[a-z ]+\]\)\):\n\$\d+ = 0x([0-9a-f]+)/g,
  ))
    found.set(Number(m[1]), parseInt(m[2], 16));
  return found;
}

describe.each(ARCHES)('gdb-multiarch on $arch smp-sum with four vCPUs', (a) => {
  it('lists the vCPUs as threads, breaks on a secondary, steps one thread alone, runs to the end', async () => {
    const guest = `guests/${a.arch}/smp-sum.s`;
    const image = await loadGuest(guest, { memBytes: 16 << 20 });
    const secondary = image.symbols.find((s) => s.name === 'secondary')!.addr;
    const stub = await startStub('run', guest, '--cpus', '4', '--gdb', '0', '--gdb-wait');
    const out = await runGdb(stub.port, [
      'info threads',
      `break *0x${secondary.toString(16)}`,
      'continue',
      'info threads',
      'thread 3',
      'info registers',
      'thread 2',
      'echo BEFORE\\n',
      'thread apply all p/x $pc',
      'stepi',
      'echo AFTER\\n',
      'thread apply all p/x $pc',
      'echo END\\n',
      'continue',
      'delete',
      'continue',
    ]);
    // before any start: four threads, only vCPU 0 running
    expect(out).toMatch(/\* 1\s+Thread 1 \(CPU#0 \[running\]\)/);
    for (const t of [2, 3, 4]) expect(out).toContain(`Thread ${t} (CPU#${t - 1} [powered off])`);
    // the breakpoint only secondaries reach: vCPU 1 (thread 2) first, and it is current
    expect(out).toContain(
      `Thread 2 hit Breakpoint 1, 0x${secondary.toString(16).padStart(16, '0')} in ?? ()`,
    );
    expect(out).toMatch(/\* 2\s+Thread 2 \(CPU#1 \[running\]\)/);
    // thread 3's registers are vCPU 2's own
    const [state, regs] = a.thread3(secondary);
    expect(out).toMatch(state as RegExp);
    expect(out.slice(out.indexOf('[Switching to thread 3'))).toMatch(regs as RegExp);
    // stepi moves thread 2 by one instruction; every other thread's pc stays where it was
    const before = pcs(out, 'BEFORE', 'AFTER');
    const after = pcs(out, 'AFTER', 'END');
    expect([...before.keys()].sort()).toEqual([1, 2, 3, 4]);
    expect(before.get(2)).toBe(secondary);
    expect(after.get(2)).toBe(secondary + a.firstLen);
    for (const t of [1, 3, 4]) expect(after.get(t)).toBe(before.get(t));
    expect(before.get(1)).not.toBe(secondary); // vCPU 0 is elsewhere: its own pc, not thread 2's
    // the next vCPU to reach the breakpoint is reported as its own thread
    expect(out).toContain(`Thread 3 hit Breakpoint 1, 0x${secondary.toString(16).padStart(16, '0')}`);
    expect(out).toContain('[Inferior 1 (Remote target) exited normally]');
    const r = await stub.done;
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(`guests/expected/smp-sum-${a.arch}.txt`, 'utf8'));
  }, 120_000);
});
