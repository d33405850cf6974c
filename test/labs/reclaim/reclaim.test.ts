/*
 * Lab `reclaim`: the reference clock gets full marks for two seeds, the untouched skeleton
 * nothing (stated share: at most 10%) with the TODO on every line, each planted mutant fails the
 * checks named for its bug, an answer of another shape is named, a decision log that does not
 * fit its run is refused, and for every seed tried the guests keep their point (clock beats
 * fifo, by more than the share at one squeeze at least). NESTVM_CHECKS=full is off here, in this
 * process and in the graded child: its sweeps after every eviction would make each grade take
 * minutes; the reclaim suites under test/mmu and test/emulator/nested run them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullChecks, setFullChecks } from '../../../mmu/checks.js';
import { gradeLab, type Grade } from '../../../labs/framework/grader.js';
import { GUEST_MEM, GUEST_NAMES, guestSource, reclaimParams } from '../../../labs/reclaim/guests.js';
import { faultLimit, reclaimLab } from '../../../labs/reclaim/lab.js';
import { jobsFor, replay, yardstick } from '../../../labs/reclaim/squeeze.js';
import { mutant, reference, skeleton } from '../submission.js';

const SEED = 20261203;
const checks = fullChecks();
const checksEnv = process.env.NESTVM_CHECKS;
beforeAll(() => {
  setFullChecks(false);
  delete process.env.NESTVM_CHECKS; // the graded child inherits the environment
});
afterAll(() => {
  setFullChecks(checks);
  if (checksEnv !== undefined) process.env.NESTVM_CHECKS = checksEnv;
});
const grade = (dir: string, seed = SEED): Promise<Grade> =>
  gradeLab(reclaimLab, { dir, seed, timeLimitMs: 30_000 });
const failed = (g: Grade) => g.checks.filter((c) => !c.ok).map((c) => c.name);
const policyMutant = (from: string, to: string) => mutant(reclaimLab, 'policy.js', from, to);

// Each grade runs six squeezed guests in a child, then replays them and runs nestvm's own policies.
describe('lab reclaim', { timeout: 120_000 }, () => {
  it('the reference solution gets full marks, for more than one seed', async () => {
    for (const seed of [SEED, 1]) {
      const g = await grade(reference(reclaimLab, seed), seed);
      expect(failed(g)).toEqual([]);
      expect(g.score).toBe(60);
    }
  });

  it('the untouched skeleton gets nothing, and every line says why', async () => {
    const g = await grade(skeleton(reclaimLab));
    expect(g.score).toBeLessThanOrEqual(0.1 * g.max);
    for (const c of g.checks)
      expect(c.reason).toMatch(/^\w+ at 2x: TODO: choose is not written yet \(policy\.js\)$/);
  });

  const MUTANTS = [
    {
      bug: 'ignores the Accessed bit: the hand takes whatever it points at (fifo)',
      from: '!c.accessed || cleared.has(i)',
      to: 'true',
      fails: ['faults-hotscan', 'faults-skewed', 'beats-fifo'],
    },
    {
      bug: 'clears only its own copy of Accessed, never the nested bit',
      from: '        ctl.clearAccessed(i);\n',
      to: '',
      fails: ['faults-hotscan', 'faults-skewed', 'beats-fifo'],
    },
    {
      bug: 'evicts the hottest page: the first one accessed since the last eviction',
      from: '    const cleared = new Set();\n',
      to: [
        '    const cleared = new Set();',
        '    const hot = candidates.findIndex((c) => c.accessed);',
        '    candidates.forEach((_c, i) => ctl.clearAccessed(i));',
        '    if (hot >= 0) {',
        '      ring.splice(ring.indexOf(candidates[hot].hfn), 1);',
        '      known.delete(candidates[hot].hfn);',
        '      return { victim: hot, writeBack: candidates[hot].dirty };',
        '    }\n',
      ].join('\n'),
      fails: ['faults-hotscan', 'faults-skewed', 'faults-loop', 'beats-fifo'],
    },
    {
      bug: 'ignores Dirty: writes every victim back, clean or not',
      from: 'writeBack: c.dirty',
      to: 'writeBack: true',
      fails: ['no-clean-writeback'],
    },
    {
      bug: 'ignores Dirty: drops every victim, written or not',
      from: 'writeBack: c.dirty',
      to: 'writeBack: false',
      fails: reclaimLab.checks.map((c) => c.name),
    },
  ];
  for (const m of MUTANTS)
    it(`mutant "${m.bug}" fails ${m.fails.join(', ')}`, async () => {
      const g = await grade(policyMutant(m.from, m.to));
      expect(failed(g)).toEqual(m.fails);
    });

  it('every seed gives guests that fit guest RAM and squeezes that reclaim accepts', () => {
    for (let seed = 0; seed < 500; seed++) {
      const p = reclaimParams(seed);
      for (const name of GUEST_NAMES)
        expect(0x20_0000 + guestSource(name, p).touched * 4096).toBeLessThan(GUEST_MEM);
      expect(() => jobsFor(p)).not.toThrow();
    }
    expect(() => jobsFor({ ...reclaimParams(0), loop: { pages: 60, rounds: 6 } })).toThrow(/too few frames/);
  });

  it('an answer of another shape fails every check with what was wrong', async () => {
    const g = await grade(policyMutant('return { victim: i, writeBack: c.dirty };', 'return i;'));
    expect(g.score).toBe(0);
    for (const c of g.checks)
      expect(c.reason).toMatch(
        /^\w+ at 2x: choose answered \d+: want \{ victim, writeBack \} \(policy\.js\)$/,
      );
  });

  it('a decision log that does not fit its run is refused, not graded', async () => {
    const job = jobsFor(reclaimParams(SEED))[0];
    expect(await replay(job, 'forged')).toBe('the harness sent no decision log');
    expect(await replay(job, [])).toBe('the logged decisions do not replay: eviction 1 is not in the log');
    expect(await replay(job, [3, 0, 0, 1, 0])).toMatch(
      /^the logged decisions do not replay: eviction 1 does not match/,
    );
  });

  it('for every seed tried, clock beats fifo on hotscan and skewed, by more than the share once', async () => {
    for (const seed of [0, 7, 99, 4242]) {
      for (const name of ['hotscan', 'skewed']) {
        const jobs = jobsFor(reclaimParams(seed)).filter((j) => j.name === name);
        const over: boolean[] = [];
        for (const job of jobs) {
          const y = await yardstick(job);
          expect(y.clock.console).toBe(y.plain.console);
          expect(y.plain.console).toMatch(new RegExp(`^${name} sum 0x[0-9a-f]{16}\\n$`));
          expect(y.fifo.major).toBeGreaterThan(y.clock.major);
          over.push(y.fifo.major > faultLimit(y.clock.major));
        }
        expect(over).toContain(true);
      }
    }
  });
});
