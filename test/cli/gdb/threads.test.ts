// The stub's thread packets on a four-vCPU Machine, packet by packet (no socket): the thread list,
// alive checks, the per-vCPU extra info, Hg/Hc selecting whose registers and steps, vCont with
// per-thread actions, malformed ones answered E22 or E01 and never a throw; and RunControl running
// one vCPU alone: a step moves only that vCPU, a breakpoint names the vCPU that reached it.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { GdbCommands, type Action } from '../../../cli/gdb/commands.js';
import { RunControl } from '../../../cli/gdb/run-control.js';
import { stopThread } from '../../../cli/gdb/threads.js';
import { Watches } from '../../../cli/gdb/watches.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { Machine } from '../../../emulator/machine.js';
import { gva } from '../../../mmu/addr.js';

const machines: Machine[] = [];
afterEach(() => machines.splice(0).forEach((m) => m.close()));

async function fourCpus(arch: 'arm64' | 'x86_64' = 'arm64') {
  const image = await loadGuest(`guests/${arch}/smp-sum.s`, { memBytes: 16 << 20 });
  const machine = new Machine(image, { memBytes: 16 << 20, cpus: 4 });
  machines.push(machine);
  const watches = new Watches(machine);
  const commands = new GdbCommands(machine, watches, () => 'T05thread:01;');
  const ask = (p: string): string => {
    const a = commands.dispatch(p);
    if (a.kind !== 'reply') throw new Error(`${p}: not a reply but ${a.kind}`);
    return a.text;
  };
  const addr = (name: string) => image.symbols.find((s) => s.name === name)!.addr;
  return { machine, watches, commands, ask, addr };
}

const hexText = (t: string) => Buffer.from(t, 'latin1').toString('hex');
const le64 = (n: number) =>
  Buffer.from(BigInt(n).toString(16).padStart(16, '0'), 'hex').reverse().toString('hex');

describe('the thread packets on four vCPUs', () => {
  it('lists four threads, checks them alive, and tells each vCPU and its power state', async () => {
    const { ask } = await fourCpus();
    expect(ask('qfThreadInfo')).toBe('m01,02,03,04');
    expect(ask('qsThreadInfo')).toBe('l');
    expect(ask('qC')).toBe('QC01');
    for (const t of ['1', '2', '3', '4', '04']) expect(ask(`T${t}`)).toBe('OK');
    for (const t of ['5', '0', '-1', 'zz', '', '123456789', 'p1.1']) expect(ask(`T${t}`)).toBe('E22');
    expect(ask('qThreadExtraInfo,1')).toBe(hexText('CPU#0 [running]'));
    expect(ask('qThreadExtraInfo,3')).toBe(hexText('CPU#2 [powered off]'));
    for (const t of ['5', '0', 'x', '']) expect(ask(`qThreadExtraInfo,${t}`)).toBe('E22');
  });

  it('reads and writes the registers of the Hg thread, and only its vCPU', async () => {
    const { machine, ask } = await fourCpus();
    const pcNumber = 32; // AArch64: x0..x30, sp, then pc
    const entry = le64(Number(machine.debug.cpu(0).reg('pc')));
    expect(ask('Hg3')).toBe('OK');
    expect(ask('qC')).toBe('QC03');
    expect(ask(`P${pcNumber.toString(16)}=${le64(0x40080abc)}`)).toBe('OK');
    expect(ask(`p${pcNumber.toString(16)}`)).toBe(le64(0x40080abc));
    expect(machine.debug.cpu(2).reg('pc')).toBe(0x40080abcn);
    expect(ask('Hg0')).toBe('OK'); // any thread: the selection stays
    expect(ask('Hg-1')).toBe('OK');
    expect(ask(`p${pcNumber.toString(16)}`)).toBe(le64(0x40080abc));
    expect(ask('Hg1')).toBe('OK');
    expect(ask(`p${pcNumber.toString(16)}`)).toBe(entry); // vCPU 0 untouched
    expect(ask('g').slice(pcNumber * 16, pcNumber * 16 + 16)).toBe(entry);
    // memory goes through the selected vCPU's view (paging is off here: the same bytes for all)
    const code = ask('m40080000,8');
    expect(ask('Hg4')).toBe('OK');
    expect(ask('m40080000,8')).toBe(code);
  });

  it('refuses a bad H packet with E22 and keeps the selection', async () => {
    const { ask } = await fourCpus();
    expect(ask('Hg2')).toBe('OK');
    for (const p of ['Hg5', 'Hgzz', 'Hg', 'Hx1', 'H', 'Hc9', 'Hg1.2']) expect(ask(p)).toBe('E22');
    expect(ask('qC')).toBe('QC02');
  });

  it('turns vCont and plain resumes into one stepped vCPU, one run alone, or all', async () => {
    const { commands, ask } = await fourCpus();
    const resume = (p: string): Action => commands.dispatch(p);
    expect(ask('vCont?')).toBe('vCont;c;C;s;S');
    expect(resume('vCont;s:2;c')).toEqual({ kind: 'resume', step: true, thread: 1 });
    expect(resume('vCont;c;s:3')).toEqual({ kind: 'resume', step: true, thread: 2 });
    expect(resume('vCont;S05:4;c')).toEqual({ kind: 'resume', step: true, thread: 3 });
    expect(resume('vCont;c')).toEqual({ kind: 'resume', step: false, thread: null });
    expect(resume('vCont;C05')).toEqual({ kind: 'resume', step: false, thread: null });
    expect(resume('vCont;c:3')).toEqual({ kind: 'resume', step: false, thread: 2 });
    expect(resume('vCont;c:-1')).toEqual({ kind: 'resume', step: false, thread: null });
    expect(ask('Hc3')).toBe('OK');
    expect(resume('s')).toEqual({ kind: 'resume', step: true, thread: 2 });
    expect(resume('vCont;s')).toEqual({ kind: 'resume', step: true, thread: 2 });
    expect(resume('vCont;s:0')).toEqual({ kind: 'resume', step: true, thread: 2 });
    expect(resume('c')).toEqual({ kind: 'resume', step: false, thread: null });
    for (const p of ['vCont;s:5', 'vCont;s:zz', 'vCont;c:', 'vCont;c;s:9']) expect(ask(p)).toBe('E22');
    for (const p of ['vCont;', 'vCont;x', 'vCont;C:2', 'vCont;c05', 'vCont;s;;c', 'vCont;Czz'])
      expect(ask(p)).toBe('E01');
  });

  it('answers every random thread packet with OK, E.., hex, a list or a resume, never a throw', async () => {
    const { commands } = await fourCpus();
    const prefixes = ['H', 'Hg', 'Hc', 'T', 'qThreadExtraInfo,', 'vCont;', 'vCont;s:', 'vCont;c:'];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.string({ maxLength: 12 }), (prefix, rest) => {
        const a = commands.dispatch(prefix + rest);
        if (a.kind === 'resume') {
          expect(a.thread === null || (a.thread >= 0 && a.thread < 4)).toBe(true);
          return;
        }
        expect(a.kind).toBe('reply');
        if (a.kind === 'reply') expect(a.text).toMatch(/^(OK|E[0-9a-f]{2}|[0-9a-f]*)$/);
      }),
      { numRuns: 400 },
    );
  });
});

describe('RunControl with four vCPUs', () => {
  it.each(['arm64', 'x86_64'] as const)(
    '%s: a step of a vCPU that is off runs nothing; a secondary at a breakpoint is its thread; a step moves only its vCPU',
    async (arch) => {
      const { machine, watches, addr } = await fourCpus(arch);
      const control = new RunControl(machine, watches, 20_000);
      const pcs = () =>
        machine.cpus.cores.map((c) => Number(machine.debug.cpu(c.id).reg(arch === 'arm64' ? 'pc' : 'rip')));
      const off = pcs();
      expect(control.slice({ step: true, thread: 2 })).toEqual({ kind: 'stopped', reply: 'T05thread:03;' });
      expect(machine.instructions).toBe(0);
      expect(pcs()).toEqual(off);
      machine.debug.breakpoints.add(addr('secondary'));
      let o = control.slice({ step: false, thread: null });
      while (o.kind === 'running') o = control.slice({ step: false, thread: null });
      expect(o).toEqual({ kind: 'stopped', reply: 'T05swbreak:;thread:02;' });
      const before = pcs();
      expect(before[1]).toBe(addr('secondary'));
      const count = machine.instructions;
      expect(control.slice({ step: true, thread: 0 })).toEqual({ kind: 'stopped', reply: 'T05thread:01;' });
      const after = pcs();
      expect(after[0]).not.toBe(before[0]);
      expect(after.slice(1)).toEqual(before.slice(1));
      expect(machine.instructions).toBe(count + 1);
      expect(machine.cpus.cores[0].insns + machine.cpus.cores[1].insns).toBe(count + 1);
    },
    60_000,
  );

  it.each(['arm64', 'x86_64'] as const)(
    '%s: a watchpoint names the vCPU that wrote, each of the four counts in once, and the sum stays right',
    async (arch) => {
      const { machine, watches, addr } = await fourCpus(arch);
      const control = new RunControl(machine, watches, 20_000);
      const watch = { type: 2 as const, gva: gva(addr('shared') + 16), length: 8 }; // the barrier count
      expect(watches.add(watch)).toBeNull();
      const writers: number[] = [];
      for (
        let o = control.slice({ step: false, thread: null });
        ;
        o = control.slice({ step: false, thread: null })
      ) {
        if (o.kind === 'running') continue;
        if (o.kind === 'ended') break;
        const who = stopThread(o.reply)!;
        expect(o.reply).toMatch(/^T05watch:/);
        writers.push(who);
        // as gdb does: the watchpoint lifted, the writer stepped alone, the watchpoint back
        watches.remove(watch);
        expect(control.slice({ step: true, thread: who }).kind).toBe('stopped');
        expect(watches.add(watch)).toBeNull();
        control.resume();
      }
      // vCPU 0 clears the count, then every vCPU counts itself in once, under the lock
      expect(writers[0]).toBe(0);
      expect([...writers.slice(1)].sort()).toEqual([0, 1, 2, 3]);
      expect(machine.console).toBe(readFileSync(`guests/expected/smp-sum-${arch}.txt`, 'utf8'));
    },
    120_000,
  );

  it('runs one vCPU alone for a scheduler-locked continue: nobody else moves, the round-robin owes nothing', async () => {
    const { machine, watches, addr } = await fourCpus('arm64');
    const control = new RunControl(machine, watches, 20_000);
    machine.debug.breakpoints.add(addr('secondary'));
    let o = control.slice({ step: false, thread: null });
    while (o.kind === 'running') o = control.slice({ step: false, thread: null });
    machine.debug.breakpoints.clear();
    const state = () => machine.cpus.cores.map((c) => [c.insns, c.turns, machine.debug.cpu(c.id).reg('pc')]);
    const before = state();
    for (let i = 0; i < 3; i++)
      expect(control.slice({ step: false, thread: 2 })).toEqual({ kind: 'running' });
    const after = state();
    expect(after[2][0]).toBe((before[2][0] as number) + 60_000); // vCPU 2 ran its three slices alone
    expect(after[2][1]).toBe(before[2][1]); // out of turn: no turn counted
    for (const id of [0, 1, 3]) expect(after[id]).toEqual(before[id]);
  }, 60_000);
});
