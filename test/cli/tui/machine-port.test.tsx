/*
 * The live view's adapter over a REAL Machine (Unicorn + the nested paging layer), on both
 * architectures: the snapshot shows the real faults, the dirty grid fills as memtouch writes,
 * harvest clears the dirty states, evict makes the page fault again, the GPT pane decodes the real
 * root pointer, the user's actions reach the fault log and the trace, and drawing (snapshots,
 * walks, disassembly) changes nothing in the machine: host RAM and stats() are the same before and
 * after. The App itself is rendered over the real session too.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM, LAYOUT, type Arch } from '../../../emulator/arch.js';
import type { MachineEvent } from '../../../emulator/events.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { gpa, gva, PAGE_SIZE, type Gpa } from '../../../mmu/addr.js';
import type { EventSink } from '../../../mmu/events.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';
import { App } from '../../../cli/tui/app.js';
import { openTuiSession, type LiveSession } from '../../../cli/tui/machine-port.js';
import { PAGE_DIRTY, PAGE_NOT_PRESENT, type TuiSnapshot } from '../../../cli/tui/model.js';
import { runCli } from '../capture.js';
import { renderAt, tick } from './render-at.js';

const BUFFER: Record<Arch, number> = { x86_64: 0x20_0000, arm64: 0x4020_0000 };
const PAGES = 256;

class ArraySink implements EventSink<MachineEvent> {
  readonly enabled = true;
  readonly events: MachineEvent[] = [];
  emit(e: MachineEvent): void {
    this.events.push(e);
  }
}

const open: LiveSession[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.session.close();
});

async function live(arch: Arch, guest: string, format?: FormatName, sliceSize = 500) {
  const path = join(PACKAGE_ROOT, 'guests', arch, guest);
  const image = await loadGuest(path, { memBytes: DEFAULT_GUEST_MEM });
  const trace = new ArraySink();
  const s = await openTuiSession(image, {
    guest,
    machine: { memBytes: DEFAULT_GUEST_MEM, format },
    trace,
    sliceSize,
    schedule: () => {}, // the tests drive the guest with steps and slices only
  });
  open.push(s);
  return { ...s, trace };
}

const pageIndex = (arch: Arch, a: number) => (a - LAYOUT[arch].ramBase) / PAGE_SIZE;
const bufferPage = (arch: Arch, i: number) => pageIndex(arch, BUFFER[arch]) + i;

/** Slices until `done` holds for a snapshot (or the guest stops); returns the last snapshot. */
function sliceUntil(l: LiveSession, done: (s: TuiSnapshot) => boolean): TuiSnapshot {
  for (let i = 0; i < 10_000; i++) {
    const s = l.session.snapshot();
    if (done(s) || s.run.state === 'stopped') return s;
    l.session.stepSlice();
  }
  throw new Error('guest neither stopped nor reached the condition');
}

const hostHash = (l: LiveSession) => createHash('sha256').update(l.machine.vm!.mem.u8).digest('hex');

/** Everything drawing could disturb: host RAM, run statistics, registers, generation. */
function machineState(l: LiveSession) {
  return {
    ram: hostHash(l),
    stats: l.machine.stats(),
    regs: l.machine.regs(),
    insns: l.machine.instructions,
    generation: l.machine.vm!.vmspace.generation,
  };
}

describe.each([
  ['x86_64', 'ept'],
  ['x86_64', 'npt'],
  ['arm64', 's2'],
] as const)('memtouch on %s with %s', (arch, format) => {
  it('shows the real faults and fills the dirty grid as the guest writes', async () => {
    const l = await live(arch, 'memtouch.s', format);
    const first = l.session.snapshot();
    expect(first.run).toEqual({ state: 'paused', reason: 'paused at start' });
    expect(first.format).toBe(format);
    expect(first.memory.pages).toBe(DEFAULT_GUEST_MEM / PAGE_SIZE);
    expect(first.memory.states[bufferPage(arch, 0)]).toBe(PAGE_NOT_PRESENT);
    const end = sliceUntil(l, () => false);
    expect(end.run.state).toBe('stopped');
    expect(end.console).toMatch(/read back ok/);
    // one nested write fault per buffer page, each mapping a host frame, in page order
    const writes = end.faults.entries.filter(
      (e) => e.origin === 'fault' && e.kind === 'write' && e.gpa! >= BUFFER[arch],
    );
    expect(writes.map((e) => e.gpa)).toEqual(
      Array.from({ length: PAGES }, (_, i) => BUFFER[arch] + i * PAGE_SIZE),
    );
    for (const w of writes) {
      expect(w.result).toBe('mapped');
      expect(w.gva).toBeUndefined(); // guest paging off: no guest-virtual address to show
      expect(l.machine.frameOf(w.gpa!)).toBe(w.hfn);
    }
    for (let i = 0; i < PAGES; i++) expect(end.memory.states[bufferPage(arch, i)]).toBe(PAGE_DIRTY);
    expect(end.memory.dirtySinceHarvest).toBeGreaterThanOrEqual(PAGES);
    expect(end.cpu.instructions).toBe(l.machine.instructions);
  });

  it('decodes the real root pointer in the GPT pane', async () => {
    const l = await live(arch, 'memtouch.s', format);
    const g = l.session.snapshot().gpt;
    const root = l.machine.vm!.vmspace.gpt.rootFrame * PAGE_SIZE;
    const field = (name: string) => g.rootPointer.fields.find((f) => f.name === name)?.value;
    expect(g.format).toBe(format);
    expect(Number(g.rootPointer.raw & 0xffff_ffff_f000n)).toBe(root);
    if (format === 'ept') {
      // EPTP: memory type 6 (WB) in bits 2:0, walk length 3 in bits 5:3, A/D enable bit 6
      expect(Number(g.rootPointer.raw & 0xfffn)).toBe(6 | (3 << 3) | (1 << 6));
      expect(field('AD')).toMatch(/^1/);
    } else {
      expect(Number(g.rootPointer.raw & 0xfffn)).toBe(0);
    }
    expect(g.levels.map((x) => x.level)).toEqual([4, 3, 2, 1]);
    expect(g.generation).toBe(l.machine.vm!.vmspace.generation);
  });

  it('harvest clears the dirty states and is logged and traced as an action', async () => {
    const l = await live(arch, 'memtouch.s', format);
    sliceUntil(l, () => false);
    const o = l.session.harvest();
    expect(o.ok).toBe(true);
    expect(o.note).toMatch(/^harvest: \d+ pages dirty/);
    const dirty = Number(/harvest: (\d+)/.exec(o.note)![1]);
    expect(dirty).toBeGreaterThanOrEqual(PAGES);
    const s = l.session.snapshot();
    for (let i = 0; i < PAGES; i++) {
      expect(s.memory.states[bufferPage(arch, i)]).not.toBe(PAGE_DIRTY);
      expect(s.memory.states[bufferPage(arch, i)]).not.toBe(PAGE_NOT_PRESENT);
    }
    expect(s.memory.states.includes(PAGE_DIRTY)).toBe(false);
    expect(s.memory.harvests).toBe(1);
    expect(s.memory.dirtySinceHarvest).toBe(0);
    const last = s.faults.entries[s.faults.entries.length - 1];
    expect(last).toMatchObject({ origin: 'action', kind: 'action', note: o.note });
    expect(l.trace.events).toContainEqual({ type: 'action', action: 'harvest', detail: 'guest RAM' });
    expect(l.trace.events).toContainEqual({ type: 'action', action: 'tui', detail: o.note });
    // a second harvest finds nothing new
    expect(l.session.harvest().note).toMatch(/^harvest: 0 pages dirty/);
  });

  it('evict takes the page away and the guest faults it back in, with its contents', async () => {
    const l = await live(arch, 'memtouch.s', format, 40); // 40 instructions: a few pages a slice
    const target = gpa(BUFFER[arch]);
    // run until the write pass has touched every buffer page, one instruction at a time near the
    // end, so that the read pass has not begun
    const last = BUFFER[arch] + (PAGES - 1) * PAGE_SIZE;
    sliceUntil(l, (s) => s.memory.states[bufferPage(arch, PAGES - 16)] !== PAGE_NOT_PRESENT);
    while (l.machine.frameOf(gpa(last)) === null) expect(l.session.step().ok).toBe(true);
    const before = l.session.snapshot();
    expect(before.run.state).toBe('paused');
    const frame = l.machine.frameOf(target);
    expect(frame).not.toBeNull();
    l.session.select(target);
    expect(l.session.snapshot().selection.frame?.hfn).toBe(frame);
    const o = l.session.evict(target);
    expect(o).toEqual({
      ok: true,
      note: expect.stringMatching(/^evict 0x[0-9a-f]+: host frame 0x[0-9a-f]+ disconnected from 1 PTE$/),
    });
    const after = l.session.snapshot();
    expect(after.memory.states[bufferPage(arch, 0)]).toBe(PAGE_NOT_PRESENT);
    expect(after.selection.frame).toBeNull();
    expect(after.selection.walk[after.selection.walk.length - 1].kind).toBe('empty');
    const evictSeq = after.faults.entries[after.faults.entries.length - 1].seq;
    // evicting it again finds nothing to evict
    expect(l.session.evict(target).ok).toBe(false);
    const end = sliceUntil(l, () => false);
    const refault = end.faults.entries.filter(
      (e) => e.origin === 'fault' && e.seq > evictSeq && e.gpa === target,
    );
    expect(refault).toHaveLength(1);
    expect(refault[0]).toMatchObject({ kind: 'read', result: 'mapped', hfn: frame });
    expect(end.console).toMatch(/read back ok/); // the object kept the frame: nothing was lost
    expect(end.memory.states[bufferPage(arch, 0)]).not.toBe(PAGE_NOT_PRESENT);
  });

  it('drawing changes no machine state', async () => {
    const l = await live(arch, 'memtouch.s', format);
    sliceUntil(l, (s) => s.memory.states[bufferPage(arch, 100)] !== PAGE_NOT_PRESENT);
    const before = machineState(l);
    const a = l.session.snapshot();
    // select pages to force fresh snapshots: walks, frames, disassembly, page grid again
    for (const page of [BUFFER[arch], BUFFER[arch] + 200 * PAGE_SIZE, LAYOUT[arch].defaultLoad]) {
      l.session.select(gpa(page), gva(page));
      l.session.snapshot();
    }
    l.session.select(a.selection.gpa as Gpa);
    const b = l.session.snapshot();
    expect(b.stamp).not.toBe(a.stamp);
    expect(machineState(l)).toEqual(before);
    expect(b.memory.states).toEqual(a.memory.states);
    expect(b.faults).toEqual(a.faults);
    expect(b.cpu.disasm).toEqual(a.cpu.disasm);
    expect(b.cpu.disasm.some((d) => d.isPc && !d.text.startsWith('('))).toBe(true);
  });
});

describe('arm64 paging (the guest pages on top of stage-2)', () => {
  it('logs the guest-virtual address each nested fault was taken for', async () => {
    const l = await live('arm64', 'paging.s', 's2', 100_000);
    const end = sliceUntil(l, () => false);
    expect(end.run.reason).toBe('exit status 0');
    const high = gva(0x7f00_0000_0000);
    // the buffer page written through the high alias, then the page the edited entry points to
    const viaHigh = end.faults.entries.filter((e) => e.origin === 'fault' && e.gva === high);
    expect(viaHigh.map((e) => [e.kind, e.gpa, e.result])).toEqual([
      ['write', 0x4040_0000, 'mapped'],
      ['write', 0x4040_1000, 'mapped'],
    ]);
    // selecting that line's GVA shows its two-dimensional walk, which now ends at the edited page
    l.session.select(viaHigh[1].gpa!, high);
    const refs = l.session.snapshot().selection.walk2d!;
    expect(refs[refs.length - 1]).toMatchObject({ space: 'data', gpa: 0x4040_1000 });
  });

  it('shows the two-dimensional walk of a guest-virtual address, without side effects', async () => {
    const l = await live('arm64', 'paging.s', 's2', 200);
    const on = sliceUntil(l, (s) => s.guestPaging);
    expect(on.run.state).toBe('paused');
    expect(on.cpu.mode).toBe('EL1, MMU on');
    const pc = Number(l.machine.regs().pc);
    const before = machineState(l);
    l.session.select(gpa(pc), gva(pc));
    const s = l.session.snapshot();
    const refs = s.selection.walk2d!;
    expect(refs.filter((r) => r.space === 'guest').map((r) => r.level)).toEqual(['L0', 'L1', 'L2', 'L3']);
    expect(refs.filter((r) => r.space === 'nested').length).toBe(5 * 4);
    const data = refs[refs.length - 1];
    expect(data).toMatchObject({ space: 'data', gpa: pc - (pc % PAGE_SIZE) + (pc % PAGE_SIZE) });
    expect(data.hpa).toBe(l.machine.frameOf(gpa(pc))! * PAGE_SIZE + (pc % PAGE_SIZE));
    // the disassembly is read through the guest's own tables: the PC line is the real instruction
    const line = s.cpu.disasm.find((d) => d.isPc)!;
    expect(line.addr).toBe(pc);
    expect(line.text).not.toMatch(/^\(/);
    expect(machineState(l)).toEqual(before);
    const end = sliceUntil(l, () => false);
    expect(end.run.reason).toBe('exit status 0');
  });
});

describe('verbs on the live machine', () => {
  it('step runs exactly one instruction, slices run sliceSize, and both are refused after the stop', async () => {
    const l = await live('x86_64', 'memtouch.s', 'ept', 777);
    expect(l.session.step()).toEqual({ ok: true, note: 'step: 1 instruction' });
    expect(l.machine.instructions).toBe(1);
    expect(l.session.stepSlice().note).toBe('slice: 777 instructions');
    expect(l.machine.instructions).toBe(778);
    const end = sliceUntil(l, () => false);
    expect(end.run).toEqual({ state: 'stopped', reason: 'exit status 1' });
    expect(l.session.step()).toEqual({ ok: false, note: 'step: the guest has stopped (exit status 1)' });
  });

  it('toggleRegion unmaps the region (the guest then faults on it) and maps it back', async () => {
    const l = await live('x86_64', 'memtouch.s');
    const region = gpa(BUFFER.x86_64);
    const off = l.session.toggleRegion(region);
    expect(off.ok).toBe(true);
    expect(off.note).toMatch(/^unmap 0x200000\.\.0x300000/);
    expect(l.session.snapshot().memory.regions.find((r) => r.gpa === region)).toMatchObject({
      mapped: false,
    });
    const on = l.session.toggleRegion(gpa(region + 5 * PAGE_SIZE));
    expect(on).toEqual({ ok: true, note: 'remap 0x200000..0x300000: mapped back' });
    expect(l.session.snapshot().memory.regions.find((r) => r.gpa === region)).toMatchObject({ mapped: true });
    // unmapped while the guest writes there: it stops on a nested fault with no mapping
    l.session.toggleRegion(region);
    const end = sliceUntil(l, () => false);
    expect(end.run.reason).toMatch(/unmapped guest-physical 0x200000 \(write\)/);
    expect(end.faults.entries.some((e) => e.gpa === region && e.result === 'nomap')).toBe(true);
  });

  it('dirty tracking can be turned off and on; harvest says when it is off', async () => {
    const l = await live('arm64', 'memtouch.s');
    expect(l.session.toggleDirtyTracking()).toEqual({ ok: true, note: 'dirty tracking off' });
    expect(l.session.snapshot().memory.dirtyTracking).toBe(false);
    expect(l.session.harvest().ok).toBe(false);
    expect(l.session.toggleDirtyTracking()).toEqual({ ok: true, note: 'dirty tracking on' });
    expect(l.session.resetAccessed().note).toMatch(/^reset accessed: \d+ pages? reset$/);
    const notes = l.trace.events.filter((e) => e.type === 'action' && e.action === 'tui');
    expect(notes).toHaveLength(4);
  });
});

describe('the App over a real session', () => {
  it('draws the real faults, the GPT root pointer and the stop, and leaves on q', async () => {
    const l = await live('x86_64', 'memtouch.s', 'ept', 20_000);
    const r = renderAt(<App session={l.session} columns={120} rows={40} refreshMs={20} />, 120, 40);
    try {
      await tick(50);
      expect(r.lastFrame()).toMatch(/paused at start/);
      expect(r.lastFrame()).toMatch(/EPTP [0-9a-f]{16}/);
      await r.press('s');
      expect(r.lastFrame()).toMatch(/step: 1 instruction/);
      await r.press('n');
      for (let i = 0; i < 50 && !/STOPPED/.test(r.lastFrame()); i++) await tick(20);
      expect(r.lastFrame()).toMatch(/STOPPED: exit status 1/);
      expect(r.lastFrame()).toMatch(/write mapped 0x002[0-9a-f]{5} 0x/);
      await r.press('h');
      expect(r.lastFrame()).toMatch(/harvest: \d+ pages dirty/);
      const done = r.waitUntilExit();
      await r.press('q');
      await done;
    } finally {
      r.unmount();
    }
  });
});

describe('nestvm tui without a terminal', () => {
  it('says so in one line, points at nestvm run, and exits with status 8', async () => {
    const r = await runCli('tui', join(PACKAGE_ROOT, 'guests/x86_64/memtouch.s'));
    expect(r.status).toBe(8);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/needs a terminal.*stdout is not one.*nestvm run/);
    expect(r.stdout).toBe('');
  });
});

describe('nestvm tui --gdb and --migrate', () => {
  it('takes --gdb alone (its default --migrate of false is no conflict)', async () => {
    const r = await runCli('tui', join(PACKAGE_ROOT, 'guests/x86_64/memtouch.s'), '--gdb', '1234');
    expect(r.status).toBe(8); // past the flags, to the missing terminal
    expect(r.stderr).toMatch(/needs a terminal/);
  });

  it('refuses both together in one line, exit 2', async () => {
    const r = await runCli('tui', 'c-writer', '--migrate', '--gdb', '1234');
    expect([r.status, r.stderr.trim()]).toEqual([2, 'nestvm: --migrate and --gdb are mutually exclusive']);
  });
});
