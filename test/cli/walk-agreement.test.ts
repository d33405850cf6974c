/*
 * `nestvm walk --virtual` and the TUI's GPT pane show the same two-dimensional walk the same way:
 * the same references, numbered from 1 in the same order, with the same level names, locations and
 * raw values, and the same count (24 for 4 x 4 levels; the TUI's data row is the result, not a
 * 25th reference). Checked on a real machine per architecture and per entry format, at the end of
 * the paging guest, for its high guest-virtual address.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM, type Arch } from '../../emulator/arch.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { gva } from '../../mmu/addr.js';
import type { FormatName } from '../../mmu/gpt/entry-format.js';
import { openTuiSession, type LiveSession } from '../../cli/tui/machine-port.js';
import { runCli } from './capture.js';

const HIGH = 0x7f00_0000_0000;
const open: LiveSession[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.session.close();
});

async function tuiWalk(arch: Arch, format: FormatName) {
  const image = await loadGuest(join(PACKAGE_ROOT, 'guests', arch, 'paging.s'), {
    memBytes: DEFAULT_GUEST_MEM,
  });
  const l = await openTuiSession(image, {
    guest: 'paging.s',
    machine: { memBytes: DEFAULT_GUEST_MEM, format },
    sliceSize: 100_000,
    schedule: () => {},
  });
  open.push(l);
  while (l.session.snapshot().run.state !== 'stopped') l.session.stepSlice();
  return l.port.walk2d(gva(HIGH))!;
}

const CASES: [Arch, FormatName, string[], string[]][] = [
  ['x86_64', 'ept', ['PML4E', 'PDPTE', 'PDE', 'PTE'], ['PML4E', 'PDPTE', 'PDE', 'PTE']],
  ['x86_64', 'npt', ['PML4E', 'PDPTE', 'PDE', 'PTE'], ['PML4E', 'PDPTE', 'PDE', 'PTE']],
  ['arm64', 's2', ['L0', 'L1', 'L2', 'L3'], ['L0', 'L1', 'L2', 'L3']],
];

describe.each(CASES)('walk --virtual and the TUI agree (%s, %s)', (arch, format, guestNames, nestedNames) => {
  it('lists, numbers, names and counts the same references', async () => {
    const cli = await runCli(
      'walk',
      join(PACKAGE_ROOT, 'guests', arch, 'paging.s'),
      '0x' + HIGH.toString(16),
      '--virtual',
      '--json',
      '--format',
      format,
    );
    expect(cli.status).toBe(0);
    const w = JSON.parse(cli.stdout).walk;
    const tui = await tuiWalk(arch, format);
    const tuiRefs = tui.filter((r) => r.order !== null);
    expect(w.references).toBe(24);
    expect(w.refs).toHaveLength(w.references);
    expect(tuiRefs).toHaveLength(w.references);
    expect(tuiRefs.map((r) => [r.order, r.space, r.level, r.gpa, r.hpa, '0x' + r.raw!.toString(16)])).toEqual(
      w.refs.map((r: { n: number; space: string; level: string; gpa: number; hpa: number; raw: string }) => [
        r.n,
        r.space,
        r.level,
        r.gpa,
        r.hpa,
        '0x' + BigInt(r.raw.replace('_', '')).toString(16),
      ]),
    );
    // one side's levels in its own terms, never mixed with the other's
    const names = (space: string) => [
      ...new Set(tuiRefs.filter((r) => r.space === space).map((r) => r.level)),
    ];
    expect(names('guest')).toEqual(guestNames);
    expect(names('nested')).toEqual(nestedNames);
    // the data row: the result the CLI prints as gpa and hpa
    expect(tui[tui.length - 1]).toMatchObject({ order: null, space: 'data', gpa: w.gpa, hpa: w.hpa });
  });
});
