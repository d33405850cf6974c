import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { EXIT } from '../../cli/exit-codes.js';
import { runCli } from './capture.js';

const guest = (p: string) => join(PACKAGE_ROOT, 'guests', p);

describe('nestvm walk', () => {
  it.each(['ept', 'npt', 's2'])('decodes every level of a nested walk (%s)', async (format) => {
    const r = await runCli('walk', guest('x86_64/memtouch.s'), '0x200123', '--format', format);
    expect(r.status).toBe(0);
    const levels = r.stdout.split('\n').filter((l) => /pte @ hpa/.test(l));
    expect(levels).toHaveLength(4);
    expect(r.stdout).toMatch(/=> host-physical 0x[0-9a-f]+123 \(frame 0x[0-9a-f]+\)/);
  });

  it('says when a page is not mapped yet', async () => {
    const r = await runCli('walk', guest('x86_64/hello.s'), '0x800000');
    expect(r.stdout).toMatch(/not mapped: the next guest access here is a nested page fault/);
  });

  it('lists all 24 references of a 4x4 two-dimensional walk', async () => {
    const r = await runCli('walk', guest('x86_64/paging.s'), '0x7f0000000000', '--virtual');
    expect(r.status).toBe(0);
    const refs = r.stdout.split('\n').filter((l) => /^\s+#\d+ /.test(l));
    expect(refs).toHaveLength(24);
    expect(refs.map((l) => l.trim().split(/\s+/)[0])).toEqual([...Array(24).keys()].map((i) => `#${i + 1}`));
    expect(refs.filter((l) => /#\d+\s+guest /.test(l))).toHaveLength(4);
    expect(r.stdout).toMatch(/\(24 references\)/);
  });

  it.each([
    ['x86_64', 'ept', ['PML4E', 'PDPTE', 'PDE', 'PTE']],
    ['x86_64', 'npt', ['PML4E', 'PDPTE', 'PDE', 'PTE']],
    ['arm64', 's2', ['L0', 'L1', 'L2', 'L3']],
  ])("names the nested levels in the format's own terms (%s, %s)", async (arch, format, names) => {
    const at = arch === 'x86_64' ? '0x200123' : '0x40200123';
    const r = await runCli('walk', guest(`${arch}/memtouch.s`), at, '--format', format, '--json');
    const j = JSON.parse(r.stdout);
    expect(j.walk.steps.map((s: { name: string }) => s.name)).toEqual(names);
    const text = await runCli('walk', guest(`${arch}/memtouch.s`), at, '--format', format);
    expect(
      text.stdout
        .split('\n')
        .filter((l) => /pte @ hpa/.test(l))
        .map((l) => l.trim().split(' ')[0]),
    ).toEqual(names);
  });

  it.each([
    ['x86_64', ['P', 'R/W', 'U/S', 'A', 'D', 'PS', 'XD'], 'PTE'],
    ['arm64', ['AF', 'AP', 'UXN', 'PXN', 'nG'], 'L3'],
  ])('--virtual names the guest entry bits of %s', async (arch, names, leafLevel) => {
    const r = await runCli('walk', guest(`${arch}/paging.s`), '0x7f0000000000', '--virtual', '--json');
    const refs: { space: string; level: string; note: string; fields: { name: string; value: number }[] }[] =
      JSON.parse(r.stdout).walk.refs;
    const guestRefs = refs.filter((x) => x.space === 'guest');
    const named = new Set(guestRefs.flatMap((x) => x.fields.map((f) => f.name)));
    for (const n of names) expect(named).toContain(n);
    const leaf = guestRefs[guestRefs.length - 1];
    expect(leaf).toMatchObject({ level: leafLevel, note: 'leaf' });
    // the text shows the set bits of each guest entry on the line below it
    const text = await runCli('walk', guest(`${arch}/paging.s`), '0x7f0000000000', '--virtual');
    const lines = text.stdout.split('\n');
    const at = lines.findIndex((l) => l.includes(`guest  ${leafLevel} `));
    const accessed = arch === 'x86_64' ? 'A=1' : 'AF=1';
    expect(lines[at + 1]).toContain(accessed);
  });

  it('walks at a chosen instruction count', async () => {
    const r = await runCli('walk', guest('arm64/memtouch.s'), '0x40200000', '--at-insns', '10');
    expect(r.stdout).toMatch(/stopped \(limit\) after 10 instructions/);
    expect(r.stdout).toMatch(/not mapped/);
  });

  it('rejects a bad address with status 2', async () => {
    const r = await runCli('walk', guest('arm64/hello.s'), 'nowhere');
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/address: 'nowhere' is not an address/);
  });
});

describe('nestvm walk takes run options', () => {
  it('--json prints the walk as one object that matches the text', async () => {
    const text = await runCli('walk', guest('x86_64/memtouch.s'), '0x200123');
    const r = await runCli('walk', guest('x86_64/memtouch.s'), '0x200123', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.stop).toMatchObject({ reason: 'exit', instructions: expect.any(Number) });
    expect(j.walk.kind).toBe('nested');
    expect(j.walk.steps).toHaveLength(4);
    expect(text.stdout).toContain(
      `=> host-physical 0x${j.walk.hpa.toString(16)} (frame 0x${j.walk.frame.toString(16)})`,
    );
    expect(text.stdout).toContain(j.walk.steps[3].entry);
  });

  it('--json --virtual lists the 24 references', async () => {
    const r = await runCli('walk', guest('x86_64/paging.s'), '0x7f0000000000', '--virtual', '--json');
    const j = JSON.parse(r.stdout);
    expect(j.walk).toMatchObject({ kind: 'two-dimensional', paging: 'x86_64', guestFault: null });
    expect(j.walk.refs).toHaveLength(24);
    expect(j.walk.hpa).toEqual(expect.any(Number));
  });

  it('--trace writes the events of the run', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const file = join(mkdtempSync('/tmp/nestvm-walk-'), 'w.jsonl');
    const r = await runCli('walk', guest('arm64/hello.s'), '0x40080000', '--trace', file);
    expect(r.status).toBe(0);
    const types = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type);
    expect(types).toContain('fault');
  });

  it('refuses --at-insns with --max-insns in its builder, before any trace file', async () => {
    const { existsSync, mkdtempSync } = await import('node:fs');
    const file = join(mkdtempSync('/tmp/nestvm-walk-'), 'w.jsonl');
    const r = await runCli(
      'walk',
      guest('arm64/hello.s'),
      '0',
      '--at-insns',
      '5',
      '--max-insns',
      '5',
      '--trace',
      file,
    );
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--at-insns and --max-insns both say where to stop/);
    expect(existsSync(file)).toBe(false);
  });
});
