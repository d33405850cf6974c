/*
 * Withheld rights on a page (Vmspace.restrictPage / relaxPage, gpt-rights.ts), the mechanism of
 * the gdb stub's watchpoints, once per entry format: the leaf keeps its frame, memory type and
 * Accessed bit, grants no withheld right (nPT and nestvm's stage-2 leaves cannot refuse a read,
 * so there the leaf goes), the generation moves, a dirty page stays in the dirty log even where the format
 * keeps Dirty in the write right (stage-2), and relaxing gives the mapping's rights back. The
 * vmspace's full sweep holds after every step, and a model of the restricted set agrees with
 * isRestricted through random sequences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gpa } from '../../../mmu/addr.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import {
  accessProt,
  PROT_ALL,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  type AccessKind,
} from '../../../mmu/prot.js';
import { makeVmRig } from './rig.js';

const P = 4096;
const BASE = gpa(0x4000_0000);

describe.each(FORMAT_NAMES)('restricted pages (%s)', (name) => {
  const format = FORMATS[name];

  function rig() {
    const r = makeVmRig(format, { trackDirty: true });
    const ram = r.ram(8);
    r.vms.map(ram, BASE, 8 * P, 0, PROT_ALL);
    return { r, ram };
  }

  it('withholds write: the leaf keeps frame and Accessed, no longer grants W, and gets W back', () => {
    const { r, ram } = rig();
    const page = gpa(BASE + P);
    const f = r.vms.fault(page, 'read');
    if (f.kind !== 'mapped') throw new Error('not mapped');
    r.vms.gpt.markAccessed(f.pte, false);
    const gen = r.vms.generation;
    r.vms.restrictPage(page, PROT_ALL & ~PROT_WRITE);
    expect(r.vms.isRestricted(page)).toBe(true);
    expect(r.vms.generation).toBe(gen + 1);
    const leaf = r.vms.gpt.lookup(page)!;
    expect(leaf.frame).toBe(ram.frameAt(P));
    expect(leaf.prot & PROT_WRITE).toBe(0);
    expect(leaf.prot & PROT_READ).toBe(PROT_READ);
    expect(leaf.accessed).toBe(true);
    expect(r.vms.gpt.translate(page, 'write')).toBeLessThan(0);
    expect(r.vms.gpt.translate(page, 'read')).toBeGreaterThanOrEqual(0);
    r.check();
    r.vms.relaxPage(page);
    expect(r.vms.isRestricted(page)).toBe(false);
    expect(r.vms.gpt.lookup(page)!.prot).toBe(PROT_ALL);
    expect(r.vms.gpt.translate(page, 'write')).toBeGreaterThanOrEqual(0);
    r.check();
  });

  it('withholds read (and write): no read is granted, or the leaf is gone where the format cannot say so', () => {
    const { r } = rig();
    const page = gpa(BASE + 2 * P);
    r.vms.fault(page, 'read');
    r.vms.restrictPage(page, PROT_EXEC);
    expect(r.vms.gpt.translate(page, 'read')).toBeLessThan(0);
    expect(r.vms.gpt.translate(page, 'write')).toBeLessThan(0);
    const leaf = r.vms.gpt.lookup(page);
    if (name === 'ept')
      expect(leaf!.prot).toBe(PROT_EXEC); // EPT can map execute-only
    else expect(leaf).toBeNull(); // nPT and nestvm's stage-2 leaves always grant read
    r.check();
    r.vms.relaxPage(page);
    r.check();
  });

  it('keeps a dirty page in the dirty log across a withheld write', () => {
    const { r } = rig();
    const page = gpa(BASE + 3 * P);
    const f = r.vms.fault(page, 'write');
    if (f.kind !== 'mapped') throw new Error('not mapped');
    r.vms.gpt.markAccessed(f.pte, true); // the guest wrote it
    r.vms.restrictPage(page, PROT_READ | PROT_EXEC);
    r.vms.relaxPage(page);
    const bm = new Uint8Array(1);
    expect(r.vms.harvestDirty(BASE, 8 * P, bm)).toBe(1);
    expect(bm[0]).toBe(1 << 3);
    r.check();
  });

  it('agrees with a model through random restrict, relax and fault sequences', () => {
    const access = fc.constantFrom<AccessKind>('read', 'write', 'exec');
    const op = fc.oneof(
      fc.record({
        op: fc.constant('restrict' as const),
        page: fc.nat(7),
        keep: fc.integer({ min: 0, max: 7 }),
      }),
      fc.record({ op: fc.constant('relax' as const), page: fc.nat(7) }),
      fc.record({ op: fc.constant('fault' as const), page: fc.nat(7), access }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const { r } = rig();
        const model = new Map<number, number>();
        for (const o of ops) {
          const page = gpa(BASE + o.page * P);
          if (o.op === 'restrict') {
            r.vms.restrictPage(page, o.keep);
            model.set(page, o.keep);
          } else if (o.op === 'relax') {
            r.vms.relaxPage(page);
            model.delete(page);
          } else if (!model.has(page)) r.vms.fault(page, o.access); // a watched page's faults never reach the vmspace
          expect(r.vms.isRestricted(page)).toBe(model.has(page));
          const keep = model.get(page);
          const leaf = r.vms.gpt.lookup(page);
          if (keep !== undefined && leaf !== null) {
            for (const a of ['read', 'write', 'exec'] as const)
              if ((keep & accessProt(a)) === 0) expect(r.vms.gpt.translate(page, a)).toBeLessThan(0);
          }
          r.check();
        }
      }),
      { numRuns: 60 },
    );
  });
});
