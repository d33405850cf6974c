// Nothing a pane exists to show is cut: over a real session at 120x40 the GPT pane shows every
// raw entry of the selected page's walk and the root pointer in full, and the Frames pane every PTE
// location and counter, on every format; at 80x24 (and 120x40) the status bar fits the width,
// wrapping a long outcome rather than cutting it.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM, type Arch } from '../../../emulator/arch.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { gpa } from '../../../mmu/addr.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';
import { App } from '../../../cli/tui/app.js';
import { addr, hex64 } from '../../../cli/tui/format.js';
import { openTuiSession, type LiveSession } from '../../../cli/tui/machine-port.js';
import { renderAt, tick, type Rendered } from './render-at.js';

const BUFFER: Record<Arch, number> = { x86_64: 0x20_0000, arm64: 0x4020_0000 };
const open: { l: LiveSession; r: Rendered }[] = [];
afterEach(() => {
  for (const { l, r } of open.splice(0)) {
    r.unmount();
    l.session.close();
  }
});

async function screen(arch: Arch, format: FormatName, columns: number, rows: number) {
  const image = await loadGuest(join(PACKAGE_ROOT, 'guests', arch, 'memtouch.s'), {
    memBytes: DEFAULT_GUEST_MEM,
  });
  const l = await openTuiSession(image, {
    guest: 'memtouch.s',
    machine: { memBytes: DEFAULT_GUEST_MEM, format },
    sliceSize: 20_000,
    schedule: () => {},
  });
  for (let i = 0; i < 100 && l.session.snapshot().run.state !== 'stopped'; i++) l.session.stepSlice();
  l.session.select(gpa(BUFFER[arch])); // a written page: a full walk down to its leaf, one PTE
  const r = renderAt(<App session={l.session} columns={columns} rows={rows} refreshMs={20} />, columns, rows);
  open.push({ l, r });
  await tick(60);
  return { l, r };
}

const fits = (frame: string, columns: number) => frame.split('\n').every((line) => line.length <= columns);

describe('at 120x40 nothing the GPT and Frames panes exist to show is cut', () => {
  for (const [arch, format] of [
    ['x86_64', 'ept'],
    ['x86_64', 'npt'],
    ['arm64', 's2'],
  ] as const) {
    it(`${arch} ${format}: raw entries, the root pointer, PTE locations and pool counters whole`, async () => {
      const { l, r } = await screen(arch, format, 120, 40);
      await r.press('6'); // focus moves; the grid stays
      const frame = r.lastFrame();
      const snap = l.session.snapshot();
      expect(snap.selection.walk.length).toBeGreaterThanOrEqual(3);
      expect(frame).toContain(hex64(snap.gpt.rootPointer.raw));
      for (const step of snap.selection.walk) {
        expect(frame).toContain(`${hex64(step.raw)} ${step.kind}`);
        expect(frame).toContain(`@${addr(step.pteHpa)}`);
      }
      expect(snap.selection.frame?.ptes.length).toBeGreaterThan(0);
      for (const pte of snap.selection.frame!.ptes) expect(frame).toContain(`PTE @ ${addr(pte)}`);
      expect(frame).toContain(`stolen ${snap.pools.stolen}`);
      expect(frame).toContain(`low-water ${snap.pools.pvLowWater}`);
      expect(fits(frame, 120)).toBe(true);
    });
  }
});

describe('the status bar fits or wraps', () => {
  for (const [columns, rows] of [
    [80, 24],
    [120, 40],
  ] as const) {
    it(`${columns}x${rows}: a long outcome wraps, every line within the width`, async () => {
      const { r } = await screen('x86_64', 'ept', columns, rows);
      await r.press('e'); // evict the selected page: a long message
      const frame = r.lastFrame();
      const lines = frame.split('\n');
      expect(lines.length).toBeLessThanOrEqual(rows - 1);
      expect(fits(frame, columns)).toBe(true);
      const status = lines.slice(lines.findIndex((line) => /^STOPPED/.test(line)));
      const text = status.join(' ');
      expect(text).toMatch(/evict 0x[0-9a-f]+: host frame 0x[0-9a-f]+ disconnected from 1 PTE/);
      expect(text).toMatch(/gen \d+$/);
      expect(text).not.toContain('~');
    });
  }
});
