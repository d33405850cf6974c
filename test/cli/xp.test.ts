/*
 * `nestvm xp`, per architecture and per entry format: the bytes at the paging sample's high
 * guest-virtual alias, at the guest-physical and host-physical addresses behind it, each compared
 * with host RAM where the machine's own translation (the GPT's two-dimensional walk) puts them;
 * the three print formats; and reading without side effects: the entry bits of every nested leaf
 * and of the guest's entries, all of host RAM, the holds and the run figures are the same after.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM, type Arch } from '../../emulator/arch.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { Machine } from '../../emulator/machine.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { gpa, gva } from '../../mmu/addr.js';
import type { FormatName } from '../../mmu/gpt/entry-format.js';
import { nestedRanges } from '../../mmu/gpt/gpt-ranges.js';
import { gptNestedWalker, walkTwoDimensional } from '../../mmu/guest-walk/index.js';
import { EXIT } from '../../cli/exit-codes.js';
import { xpRead } from '../../cli/xp-report.js';
import { runCli } from './capture.js';
import { ARCH_FORMATS } from '../emulator/nested/nested-harness.js';

const HIGH = 0x7f00_0000_0000;
const sample = (arch: Arch) => join(PACKAGE_ROOT, 'guests', arch, 'paging.s');

async function stopped(arch: Arch, format: FormatName) {
  const image = await loadGuest(sample(arch), { memBytes: DEFAULT_GUEST_MEM });
  const machine = new Machine(image, { memBytes: DEFAULT_GUEST_MEM, format });
  machine.run();
  return machine;
}

/* Where the machine's own translation puts the high alias: its gpa and hpa, by the GPT's 2-D walk. */
function translate(machine: Machine, va: number) {
  const vm = machine.vm!;
  const w = walkTwoDimensional(
    machine.guestPaging(),
    gva(va),
    'read',
    false,
    gptNestedWalker(vm.vmspace.gpt),
    vm.mem,
  );
  if (w.guest.kind !== 'ok' || w.final?.hpa === undefined)
    throw new Error('the high alias does not translate');
  return { gpa: w.guest.gpa as number, hpa: w.final.hpa as number, ram: vm.mem.u8 };
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

const CASES = ARCH_FORMATS;

describe.each(CASES)('nestvm xp (%s, %s)', (arch, format) => {
  it('reads the same bytes through gva, gpa and hpa, where the machine translates them', async () => {
    const machine = await stopped(arch, format);
    const t = translate(machine, HIGH);
    const expected = hexOf(t.ram.subarray(t.hpa, t.hpa + 32));
    machine.close();
    const run = (space: string, at: number) =>
      runCli(
        'xp',
        sample(arch),
        '0x' + at.toString(16),
        '32',
        '--space',
        space,
        '--nested-format',
        format,
        '--json',
      );
    for (const [space, at] of [
      ['gva', HIGH],
      ['gpa', t.gpa],
      ['hpa', t.hpa],
    ] as const) {
      const r = await run(space, at);
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ space, addr: at, len: 32, read: 32, unreadable: null, data: expected });
      expect(j.pieces[0].hpa).toBe(t.hpa);
    }
  });

  it('prints hex, 64-bit words and disassembly', async () => {
    const base = [
      'xp',
      sample(arch),
      '0x' + HIGH.toString(16),
      '16',
      '--space',
      'gva',
      '--nested-format',
      format,
    ];
    const text = await runCli(...base);
    expect(text.stdout).toMatch(/^0x7f0000000000: ([0-9a-f]{2} ){15}[0-9a-f]{2} {2}\|.{16}\|$/m);
    const words = JSON.parse((await runCli(...base, '--format', 'words', '--json')).stdout);
    const le = Buffer.from(words.data, 'hex').readBigUInt64LE(0);
    expect(words.words[0]).toBe('0x' + le.toString(16).padStart(16, '0'));
    const entry = (await loadGuest(sample(arch), { memBytes: DEFAULT_GUEST_MEM })).entry;
    const code = await runCli(
      'xp',
      sample(arch),
      '0x' + entry.toString(16),
      '8',
      '--space',
      'gva',
      '--format',
      'disasm',
      '--json',
    );
    const insns = JSON.parse(code.stdout).insns;
    expect(insns.length).toBeGreaterThan(0);
    expect(insns[0].addr).toBe(entry);
  });

  it('reads without side effects: entry bits, host RAM, holds and figures unchanged', async () => {
    const machine = await stopped(arch, format);
    try {
      const vm = machine.vm!;
      const t = translate(machine, HIGH);
      const leaf = () => vm.vmspace.gpt.lookup(gpa(t.gpa));
      const state = () => ({
        nested: nestedRanges(vm.vmspace.gpt).map((r) => [r.gpa, r.len, r.bits]),
        leaf: leaf(),
        ram: createHash('sha256').update(vm.mem.u8).digest('hex'),
        holds: vm.vmspace.clients().map((c) => c.holds().length),
        stats: machine.stats(),
      });
      const before = state();
      expect(before.leaf?.accessed).toBe(true);
      for (const space of ['gva', 'gpa', 'hpa'] as const) {
        const at = space === 'gva' ? HIGH : space === 'gpa' ? t.gpa : t.hpa;
        expect(xpRead(machine, space, at, 8192).bytes.length).toBeGreaterThan(0);
      }
      // a page the guest never touched is read from its frame, and still has no nested leaf after
      const untouched = t.gpa + 0x10_0000;
      expect(vm.vmspace.gpt.lookup(gpa(untouched))).toBeNull();
      expect(machine.debug.memory!.readSpace('gpa', untouched, 16).stop).toBeNull();
      expect(vm.vmspace.gpt.lookup(gpa(untouched))).toBeNull();
      expect(state()).toEqual(before);
    } finally {
      machine.close();
    }
  });
});

describe('nestvm xp refuses what it cannot read', () => {
  it('an address the guest does not map: one line, status 2', async () => {
    const r = await runCli('xp', sample('x86_64'), '0x10000000', '--space', 'gva');
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(
      /^nestvm: xp: gva 0x10000000 cannot be read: guest page fault \(not-present\) at \w+\n$/,
    );
  });

  it('a device window, too long a dump, an unknown space', async () => {
    const dev = await runCli('xp', 'memtouch', '0xfeb00000');
    expect(dev.status).toBe(EXIT.usage);
    expect(dev.stderr).toMatch(/no guest RAM at gpa 0xfeb00000/);
    const long = await runCli('xp', 'memtouch', '0x100000', String(2 << 20));
    expect(long.status).toBe(EXIT.usage);
    expect(long.stderr).toMatch(/length: at most 1048576 bytes/);
    const space = await runCli('xp', 'memtouch', '0x100000', '--space', 'lba');
    expect(space.status).toBe(EXIT.usage);
  });

  it('a read that runs into an unreadable page stops there and says why', async () => {
    const r = await runCli('xp', 'memtouch', String(16 * 1024 * 1024 - 8), '16', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.read).toBe(8);
    expect(j.unreadable).toMatchObject({ addr: 16 * 1024 * 1024 });
  });
});
