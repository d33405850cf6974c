/*
 * `tui --migrate`'s port over REAL Machines (c-writer, 4 MiB): stepping the live session slice by
 * slice walks the phases in order (warm-up, pre-copy, destination, ended), the rounds appear one at
 * a time as they close and are exactly the rounds `nestvm migrate --json` reports for the same
 * options, the panes show the source's format before the hand-over and the destination's after,
 * the destination's console is a plain run's, the verdict is verified, and the verbs that would
 * disturb the pre-copy's dirty log are refused while it runs. The Dirty pane draws the rounds
 * (ink-testing-library), and the README's example of that block is what it draws.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FORMAT } from '../../../emulator/nested-vm.js';
import type { Arch } from '../../../emulator/arch.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { fullChecks, setFullChecks } from '../../../mmu/checks.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';
import { DirtyPane } from '../../../cli/tui/dirty-pane.js';
import { migrationLines } from '../../../cli/tui/migration-lines.js';
import { openMigrationSession } from '../../../cli/tui/migration-port.js';
import type { MigrationInfo, TuiSnapshot } from '../../../cli/tui/model.js';
import { PANE_PARTS } from '../../../cli/tui/pane-memo.js';
import { runCli } from '../capture.js';

const checks = fullChecks();
beforeAll(() => setFullChecks(false));
afterAll(() => setFullChecks(checks));

const MEM = 4 << 20;
const expected = (name: string) => readFileSync(join(PACKAGE_ROOT, 'guests/expected', `${name}.txt`), 'utf8');
const PHASES: MigrationInfo['phase'][] = ['warm-up', 'pre-copy', 'destination', 'ended'];

async function liveMigration(
  arch: Arch,
  dst: FormatName,
  startAfter: number,
  stopRule = { downtimePages: 32, maxRounds: 10 },
) {
  const image = await loadGuest('c-writer', { arch, memBytes: MEM });
  const source = { memBytes: MEM, seed: 1 };
  const setup = {
    source,
    destination: { ...source, format: dst, seed: 2 },
    bandwidth: 32,
    sliceInsns: 10_000,
    ...stopRule,
    startAfter,
  };
  return openMigrationSession(image, { guest: 'c-writer', setup, schedule: () => {} });
}

/** Slice by slice to the end; every snapshot taken on the way. */
function drive(session: Awaited<ReturnType<typeof liveMigration>>['session']): TuiSnapshot[] {
  const seen = [session.snapshot()];
  for (let i = 0; i < 100_000 && seen[seen.length - 1].run.state !== 'stopped'; i++) {
    session.stepSlice();
    seen.push(session.snapshot());
  }
  return seen;
}

describe('tui --migrate, the port', () => {
  for (const [arch, dst, startAfter] of [
    ['x86_64', 'npt', 1_000_000],
    ['arm64', 's2', 600_000],
  ] as const) {
    it(`${arch} to ${dst}: phases in order, rounds as they close, the destination after the hand-over`, async () => {
      const { session, migration } = await liveMigration(arch, dst, startAfter);
      try {
        const seen = drive(session);
        const last = seen[seen.length - 1];
        const m = last.migration!;
        expect(last.run.reason).toBe(arch === 'x86_64' ? 'hlt' : 'exit status 0');
        // phases never go back, and every one is seen
        const order = seen.map((s) => PHASES.indexOf(s.migration!.phase));
        expect(order.every((p, i) => i === 0 || p >= order[i - 1])).toBe(true);
        expect(new Set(order).size).toBe(4);
        // rounds appear one at a time, each list a prefix of the final one
        const counts = seen.map((s) => s.migration!.rounds.length);
        expect(counts.every((c, i) => i === 0 || c - counts[i - 1] <= 1)).toBe(true);
        for (const s of seen)
          expect(m.rounds.slice(0, s.migration!.rounds.length)).toEqual(s.migration!.rounds);
        expect(seen.some((s) => s.migration!.open !== null)).toBe(true);
        // the source's format until the hand-over, the destination's after
        for (const s of seen)
          expect(s.format).toBe(s.migration!.side === 'source' ? DEFAULT_FORMAT[arch] : dst);
        expect(m.side).toBe('destination');
        expect(m.handover?.ram).toBe('equal');
        expect(m.verdict).toBe('verified: = unmigrated run');
        expect(migration.destination.console).toBe(expected(`c-writer-${arch}`));
        // the same rounds and stop-and-copy as `nestvm migrate` with the same options
        const j = JSON.parse(
          (await runCli('migrate', 'c-writer', '--arch', arch, '--mem', '4M', '--dst-format', dst,
            '--start-after', String(startAfter), '--json')).stdout,
        ); // prettier-ignore
        expect(m.rounds).toEqual(
          j.rounds.map(({ round, sent, dirtied, rate, remaining }: Record<string, number>) => ({
            round, sent, dirtied, rate, remaining,
          })),
        ); // prettier-ignore
        expect(m.handover?.stopAndCopy).toBe(j.stopAndCopy);
        expect(m.handover?.converged).toBe(j.converged);
      } finally {
        session.close();
      }
    });
  }

  it('refuses the verbs that would disturb the dirty log during the pre-copy, allows them after', async () => {
    const { session } = await liveMigration('x86_64', 'ept', 0);
    try {
      session.stepSlice();
      expect(session.snapshot().migration!.phase).toBe('pre-copy');
      const h = session.harvest();
      expect(h.ok).toBe(false);
      expect(h.note).toMatch(/refused during the migration/);
      expect(session.toggleDirtyTracking().ok).toBe(false);
      expect(session.snapshot().faults.entries.some((e) => /harvest: refused/.test(e.note ?? ''))).toBe(true);
      while (session.snapshot().migration!.phase === 'pre-copy') session.stepSlice();
      expect(session.harvest().ok).toBe(true);
    } finally {
      session.close();
    }
  });
});

describe('tui --migrate, the Dirty pane', () => {
  it('draws the rounds while they close, then the hand-over and the verdict', async () => {
    const { session } = await liveMigration('x86_64', 'npt', 1_000_000);
    try {
      const seen = drive(session);
      const frame = (s: TuiSnapshot) => {
        const r = render(<DirtyPane snap={s} cursor={0} width={44} height={24} focused={false} />);
        const f = r.lastFrame() ?? '';
        r.unmount();
        return f;
      };
      const sending = seen.find((s) => s.migration!.open !== null)!;
      const o = sending.migration!.open!;
      expect(frame(sending)).toMatch(new RegExp(`round ${o.round}: sending ${o.sent} of ${o.queued}`));
      expect(frame(sending)).toMatch(/migrate: pre-copy, source/);
      const last = seen[seen.length - 1];
      const f = frame(last);
      expect(f).toMatch(/round +sent +dirtied +rate +left/);
      const r0 = last.migration!.rounds[0];
      expect(f).toMatch(new RegExp(` +0 +${r0.sent} +${r0.dirtied} +${r0.rate} +${r0.remaining}`));
      expect(f).toMatch(new RegExp(`converged: stop-and-copy ${last.migration!.handover!.stopAndCopy}`));
      expect(f).toMatch(/verified: = unmigrated run/);
      expect(f).toMatch(/migrate: ended, destination/);
      // the memoised Dirty pane redraws when the migration moves
      expect(PANE_PARTS.dirty(last)).toContain(last.migration);
    } finally {
      session.close();
    }
  });
});

describe('tui --migrate, the README', () => {
  it("shows the Dirty pane's block the README's example session ends with", async () => {
    const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
    const cmd = readme.match(/^\$ nestvm (tui c-writer --migrate .*)$/m)![1];
    expect(cmd).toBe('tui c-writer --migrate --mem 4M --dst-format npt --downtime-pages 4 --max-rounds 4');
    const block = readme.split('the Dirty pane of that session shows:\n\n```text\n')[1].split('\n```')[0];
    const { session } = await liveMigration('x86_64', 'npt', 0, { downtimePages: 4, maxRounds: 4 });
    try {
      const seen = drive(session);
      expect(migrationLines(seen[seen.length - 1].migration, 40).join('\n')).toBe(block);
    } finally {
      session.close();
    }
  });
});
