/*
 * The Dirty pane's migration block as lines: nothing without a migration, the head, the table of
 * the newest rounds that fit in half of the pane, the open round, the hand-over and the verdict;
 * and the block never takes more lines than its room (checked against a simple model).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { migrationLineCount, migrationLines } from '../../../cli/tui/migration-lines.js';
import type { MigrationInfo } from '../../../cli/tui/model.js';

const round = (r: number) => ({ round: r, sent: 100 - r, dirtied: 50 - r, rate: 500 - r, remaining: 50 - r });

const info = (over: Partial<MigrationInfo> = {}): MigrationInfo => ({
  phase: 'pre-copy',
  side: 'source',
  rounds: [],
  open: null,
  handover: null,
  verdict: null,
  ...over,
});

describe('migrationLines', () => {
  it('is empty without a migration', () => {
    expect(migrationLines(undefined, 30)).toEqual([]);
    expect(migrationLineCount(undefined, 30)).toBe(0);
  });

  it('shows the head, the rounds right-aligned, the open round', () => {
    const l = migrationLines(
      info({ rounds: [round(0), round(1)], open: { round: 2, sent: 16, queued: 48 } }),
      30,
    );
    expect(l).toEqual([
      'migrate: pre-copy, source',
      ' round  sent  dirtied  rate  left',
      '     0   100       50   500    50',
      '     1    99       49   499    49',
      'round 2: sending 16 of 48',
    ]);
  });

  it('after the hand-over: converged or not, the stop-and-copy, the verdict', () => {
    const l = migrationLines(
      info({
        phase: 'ended',
        side: 'destination',
        rounds: [round(0)],
        handover: { converged: false, stopAndCopy: 40, ram: 'equal' },
        verdict: 'verified: = unmigrated run',
      }),
      30,
    );
    expect(l[0]).toBe('migrate: ended, destination');
    expect(l.slice(-2)).toEqual(['not converged: stop-and-copy 40', 'verified: = unmigrated run']);
  });

  it('keeps to half of the pane, newest rounds first to stay', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 60 }), (n, height) => {
        const rounds = Array.from({ length: n }, (_, i) => round(i));
        const l = migrationLines(info({ rounds, open: { round: n, sent: 1, queued: 2 } }), height);
        const room = Math.max(2, Math.floor(height / 2));
        expect(l.length).toBe(Math.min(room, 2 + (n > 0 && room > 3 ? 1 + Math.min(n, room - 3) : 0)));
        const shown = l.slice(2, -1).map((s) => Number(s.trim().split(/ +/)[0]));
        // the newest rounds, in order, ending with the last one
        if (shown.length > 0) expect(shown).toEqual(rounds.slice(n - shown.length).map((r) => r.round));
      }),
    );
  });
});
