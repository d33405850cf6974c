/*
 * Host memory as the CLI shows it: the scattered host layout (the default) and its seed, the
 * identity layout, frames taken on demand (`run --json` hostFrames), the host-init event, and the
 * Accessed flag at every level of the nested walk as `walk` prints it, per entry format.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { runCli } from './capture.js';

const guest = (p: string) => join(PACKAGE_ROOT, 'guests', p);
const PAGE = 4096;

/* The walk of one guest-physical address as `walk --json` gives it. */
async function walkJson(file: string, address: number, ...flags: string[]) {
  const r = await runCli('walk', guest(file), `0x${address.toString(16)}`, '--json', ...flags);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout).walk as { hpa: number; frame: number; steps: { fields: { name: string }[] }[] };
}

/* The mapped nested faults of a run, from its trace: guest-physical page -> host frame. */
async function faultFrames(file: string, ...flags: string[]): Promise<Map<number, number>> {
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const trace = join(mkdtempSync('/tmp/nestvm-hostmem-'), 't.jsonl');
  const r = await runCli('run', guest(file), '--trace', trace, ...flags);
  expect(r.stderr).toMatch(/nestvm: /);
  const out = new Map<number, number>();
  for (const line of readFileSync(trace, 'utf8').trim().split('\n')) {
    const e = JSON.parse(line);
    if (e.type === 'fault' && e.result === 'mapped') out.set(e.gpa, e.hfn);
  }
  return out;
}

describe('host layout', () => {
  const cases = [
    { arch: 'x86_64', file: 'x86_64/memtouch.s', first: 0x20_0000, ramBase: 0 },
    { arch: 'arm64', file: 'arm64/memtouch.s', first: 0x4020_0000, ramBase: 0x4000_0000 },
  ];

  it.each(cases)(
    '$arch: scattered by default, so gpa and hpa differ on practically every page',
    async (c) => {
      const faults = await faultFrames(c.file);
      expect(faults.size).toBeGreaterThan(250);
      let same = 0;
      let runs = 0;
      let last = -2;
      for (const [g, f] of faults) {
        if (f * PAGE === g - c.ramBase) same++;
        if (f !== last + 1) runs++;
        last = f;
      }
      expect(same).toBeLessThan(5);
      expect(runs).toBeGreaterThan(faults.size / 2); // the frames are in no order
      expect(new Set(faults.values()).size).toBe(faults.size);
      expect((await faultFrames(c.file, '--host-layout', 'identity')).get(c.first)).toBe(
        (c.first - c.ramBase) / PAGE,
      );
    },
  );

  it.each(cases)('$arch: --host-layout identity puts guest page i in host frame i', async (c) => {
    const w = await walkJson(c.file, c.first + 3 * PAGE + 0x10, '--host-layout', 'identity');
    expect(w.hpa).toBe(c.first + 3 * PAGE + 0x10 - c.ramBase);
  });

  it('the same seed gives the same frames, another seed others', async () => {
    const at = (...flags: string[]) =>
      faultFrames('x86_64/memtouch.s', '--max-insns', '2000', ...flags).then((m) => [...m.entries()]);
    const a = await at('--seed', '42');
    expect(a.length).toBeGreaterThan(10);
    expect(await at('--seed', '42')).toEqual(a);
    expect(await at('--seed', '43')).not.toEqual(a);
    expect(await at()).toEqual(await at('--seed', '1')); // 1 is the default
  }, 120_000); // five runs: give a loaded machine time

  it.each([['-3'], ['abc'], ['1.5']])('refuses --seed %s with status 2', async (bad) => {
    const r = await runCli('run', guest('x86_64/hello.s'), '--seed', bad);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--seed: .* is not a whole number/);
  });

  it('refuses an unknown --host-layout with status 2', async () => {
    const r = await runCli('run', guest('x86_64/hello.s'), '--host-layout', 'linear');
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/host-layout/);
  });
});

describe('frames on demand', () => {
  it('a guest that touches few pages of 64 MiB uses that many frames plus its tables', async () => {
    const r = await runCli('run', guest('x86_64/hello.s'), '--mem', '64M', '--json');
    const j = JSON.parse(r.stdout);
    expect(j.hostFrames.total).toBe((64 + 1) * 256);
    expect(j.hostFrames.guest).toBe(j.residentPages); // hello touches only pages it maps
    expect(j.hostFrames.guest).toBeLessThan(4);
    expect(j.hostFrames.inUse).toBe(j.hostFrames.guest + j.hostFrames.tables);
    // populating 64 MiB makes a leaf table per 2 MiB, a few interior ones; then the pool's reserve
    expect(j.hostFrames.tables).toBeLessThan(64 / 2 + 16);
    expect(j).toMatchObject({ hostLayout: 'scattered', seed: 1 });
    const text = await runCli('run', guest('x86_64/hello.s'), '--mem', '64M');
    expect(text.stderr).toMatch(
      new RegExp(`host frames +${j.hostFrames.inUse} of 16,640 in use \\(${j.hostFrames.guest} guest pages`),
    );
  });

  it('memtouch: every page it wrote has its own frame, and no more pages have one', async () => {
    const j = JSON.parse((await runCli('run', guest('x86_64/memtouch.s'), '--json')).stdout);
    expect(j.hostFrames.guest).toBe(j.residentPages);
    expect(j.residentPages).toBe(258);
  });

  it('the trace opens with one host-init event instead of an event per frame set aside', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const file = join(mkdtempSync('/tmp/nestvm-hostmem-'), 't.jsonl');
    await runCli('run', guest('x86_64/hello.s'), '--trace', file, '--host-layout', 'identity', '--seed', '9');
    const events = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const at = events.findIndex((e) => e.type === 'host-init');
    expect(events.filter((e) => e.type === 'host-init')).toHaveLength(1);
    expect(events.slice(0, at).filter((e) => e.type === 'frame-alloc')).toEqual([]);
    expect(events[at]).toEqual({
      type: 'host-init',
      frames: 4352,
      reserved: 4096,
      tableReserve: 4,
      free: 4352 - 4096 - 4,
      layout: 'identity',
      seed: 9,
    });
    const guestAllocs = events.filter((e) => e.type === 'frame-alloc' && e.purpose === 'guest');
    expect(guestAllocs.length).toBeGreaterThan(0);
    expect(guestAllocs.length).toBeLessThan(4);
  });
});

describe('Accessed at every level of the nested walk', () => {
  it.each([
    ['ept', 'x86_64/memtouch.s', 0x20_0000, 'A', [true, true, true, true]],
    ['npt', 'x86_64/memtouch.s', 0x20_0000, 'A', [true, true, true, true]],
    ['s2', 'arm64/memtouch.s', 0x4020_0000, 'AF', [false, false, false, true]],
  ] as const)('%s', async (format, file, address, flag, want) => {
    const w = await walkJson(file, address, '--format', format);
    expect(w.steps.map((s) => s.fields.some((f) => f.name === flag))).toEqual(want);
  });
});
