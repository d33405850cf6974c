/*
 * Lab `merge`: the reference merger gets full marks for two seeds, the untouched skeleton gets
 * nothing (its pass throws TODO, one clear line per check), and each planted mutant fails the
 * checks named for its bug: no full compare after a hash match, write left on merged pages, PV
 * entries never moved. The guests are small (a few hundred thousand instructions each), so a
 * grade takes a few seconds.
 */
import { describe, expect, it } from 'vitest';
import { gradeLab, type Grade } from '../../../labs/framework/grader.js';
import { pagesOf, mergeParams } from '../../../labs/merge/guest.js';
import { mergeLab } from '../../../labs/merge/lab.js';
import { mutant, reference, skeleton } from '../submission.js';

const SEED = 20261203;
const FILE = 'merger.js';
const grade = (dir: string, seed = SEED): Promise<Grade> => gradeLab(mergeLab, { dir, seed });
const failed = (g: Grade) => g.checks.filter((c) => !c.ok).map((c) => c.name);
const reason = (g: Grade, name: string) => g.checks.find((c) => c.name === name)!.reason ?? '';

describe('lab merge', { timeout: 60_000 }, () => {
  it('the reference merger gets full marks, for more than one seed', async () => {
    for (const seed of [SEED, 0]) {
      const g = await grade(reference(mergeLab, seed), seed);
      expect(failed(g)).toEqual([]);
      expect(g.score).toBe(60);
    }
  });

  it('the untouched skeleton gets 0 of 60, every check saying where the TODO is', async () => {
    const g = await grade(skeleton(mergeLab, SEED));
    expect(g.score).toBe(0);
    for (const c of g.checks) expect(c.reason).toMatch(/pass threw: TODO: pass$/);
  });

  it('a mutant that skips the full compare after a hash match fails full-compare only', async () => {
    const g = await grade(
      mutant(mergeLab, FILE, 'function same(a, b) {', 'function same(a, b) {\n    return true;'),
    );
    expect(failed(g)).toEqual(['full-compare']);
    expect(reason(g, 'full-compare')).toMatch(
      /^under the sampled hash: VM \d printed "buffer checksum 0x[0-9a-f]{16}", its run alone/,
    );
  });

  it('a mutant that leaves write on merged pages fails the console checks', async () => {
    const g = await grade(
      mutant(
        mergeLab,
        FILE,
        'host.writeLeaf(v, gpa, shared, false);',
        'host.writeLeaf(v, gpa, shared, true);',
      ),
    );
    expect(failed(g)).toEqual(expect.arrayContaining(['consoles-2', 'consoles-4']));
    expect(failed(g)).not.toContain('pv-lists');
    expect(reason(g, 'consoles-2')).toMatch(/^VM \d printed "buffer checksum/);
  });

  it('a mutant that never moves the PV entry of a merged page fails pv-lists', async () => {
    const g = await grade(
      mutant(
        mergeLab,
        FILE,
        'host.pvRemove(leaf.frame, leaf.pte);\n        host.pvEnter(shared, leaf.pte);',
        '// (PV lists left as they were)',
      ),
    );
    expect(failed(g)).toContain('pv-lists');
    expect(reason(g, 'pv-lists')).toMatch(
      /^with 2 VMs: VM \d's leaf for gpa 0x[0-9a-f]+ maps shared frame \d+, whose PV list does not name it$/,
    );
  });

  it('every seed gives guests that fit in guest RAM, with pages to merge and to write', () => {
    for (let seed = 0; seed < 200; seed++) {
      const p = mergeParams(seed);
      expect(p.same).toBeGreaterThanOrEqual(12);
      expect(p.writes).toBeGreaterThan(p.same);
      expect(0x12_0000 + pagesOf(p, { vms: 2, hash: 'sampled', coll: true }) * 4096).toBeLessThanOrEqual(
        0x20_0000,
      );
      expect(mergeParams(seed)).toEqual(p);
    }
  });
});
