/*
 * Lab `guestpt`: the reference guest gets full marks for several seeds, the untouched skeleton
 * only `assembles` (the stated share: 2 of 60 points), each planted mutant fails the checks
 * named for its bug, a guest that never stops is stopped, and the seeded pairs have the shape
 * the handout promises.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeLab, type Grade } from '../../../labs/framework/grader.js';
import { guestptLab } from '../../../labs/guestpt/lab.js';
import { FLAG_U, FLAG_W, FLAG_X, guestptParams } from '../../../labs/guestpt/pairs.js';
import { mutant, reference, skeleton } from '../submission.js';

const SEED = 20261203;
const grade = (dir: string, seed = SEED): Promise<Grade> => gradeLab(guestptLab, { dir, seed });
const failed = (g: Grade) => g.checks.filter((c) => !c.ok).map((c) => c.name);

// Each grade runs the guest under three formats: a generous limit for loaded machines.
describe('lab guestpt', { timeout: 120_000 }, () => {
  it('the reference guest gets full marks, for more than one seed', async () => {
    for (const seed of [SEED, 1]) {
      const g = await grade(reference(guestptLab, seed), seed);
      expect(failed(g)).toEqual([]);
      expect(g.score).toBe(60);
    }
  });

  it('the untouched skeleton gets only `assembles`: its guest halts with paging off', async () => {
    const dir = skeleton(guestptLab, SEED);
    expect(readFileSync(join(dir, 'guestpt.s'), 'utf8')).toMatch(
      /^pairs:\n(\s+\.quad 0x[0-9a-f]{16}, 0x[0-9a-f]{16}, \d\n){5}pairs_end:\nimage_end:\n$/m,
    );
    const g = await grade(dir);
    expect(g.score).toBe(2);
    expect(g.checks.find((c) => c.name === 'runs-npt')!.reason).toBe('the guest halted with paging off');
  });

  const MUTANTS = [
    {
      bug: 'CR0.WP left clear',
      from: 'or      eax, 0x80010000',
      to: 'or      eax, 0x80000000',
      fails: ['rights', 'only-yours-writable'],
    },
    { bug: 'XD never set', from: 'bts     rax, 63', to: 'nop', fails: ['rights'] },
    {
      bug: 'the image mapped writable',
      from: 'mov     edx, 2',
      to: 'mov     edx, 3',
      fails: ['only-yours-writable'],
    },
    {
      bug: 'the writable pages never written',
      from: 'mov     byte ptr [rdi], al',
      to: 'nop',
      fails: ['touched'],
    },
    {
      bug: 'a guest that never stops',
      from: 'done:\n        hlt',
      to: 'done:\n        jmp     done',
      fails: ['runs-ept', 'runs-npt', 'runs-s2', 'mappings', 'rights', 'touched', 'only-yours-writable'],
    },
  ];
  for (const m of MUTANTS)
    it(`mutant "${m.bug}" fails ${m.fails.join(', ')}`, async () => {
      const g = await grade(mutant(guestptLab, 'guestpt.s', m.from, m.to, SEED));
      expect(failed(g)).toEqual(m.fails);
      if (m.bug === 'a guest that never stops')
        expect(g.checks[1].reason).toBe('the guest did not stop within 5000000 instructions');
    });

  it("a source that does not assemble fails every check with the assembler's line", async () => {
    const g = await grade(mutant(guestptLab, 'guestpt.s', 'rep stosq', 'rep stosz', SEED));
    expect(g.score).toBe(0);
    expect(g.checks[0].reason).toMatch(/^guestpt\.s:\d+: invalid mnemonic: rep stosz$/);
  });

  it('every seed gives five distinct pages in the promised shape and rights', () => {
    for (let seed = 0; seed < 200; seed++) {
      const { pairs } = guestptParams(seed);
      expect(new Set(pairs.map((p) => p.gva)).size).toBe(5);
      expect(new Set(pairs.map((p) => p.gpa)).size).toBe(5);
      for (const p of pairs) {
        expect(p.gva % 4096).toBe(0);
        expect(p.gva >= 2 ** 39 && p.gva < 2 ** 47).toBe(true);
        expect(p.gpa >= 0x40_0000 && p.gpa < 0x80_0000).toBe(true);
      }
      const has = (f: number, on: boolean) => pairs.some((p) => ((p.flags & f) !== 0) === on);
      for (const f of [FLAG_W, FLAG_X, FLAG_U]) expect(has(f, true) && has(f, false)).toBe(true);
    }
  });
});
