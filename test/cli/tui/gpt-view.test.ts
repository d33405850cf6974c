// GPT readers on a real vmspace for every format: page states from the A/D bits the hardware
// sets, the walk of a page, per-level tables and reference counts; nothing written.
import { PAGE_ACCESSED, PAGE_DIRTY, PAGE_NOT_PRESENT, PAGE_PRESENT } from '../../../cli/tui/model.js';
import { describe, expect, it } from 'vitest';
import { gpa, hpa } from '../../../mmu/addr.js';
import { FORMAT_NAMES, FORMATS } from '../../../mmu/gpt/formats.js';
import { PROT_READ, PROT_RW } from '../../../mmu/prot.js';
import { PageHold } from '../../../mmu/vm/page-hold.js';
import { fillPageStates, gptInfo, levelInfo, walkOf } from '../../../cli/tui/gpt-view.js';
import { makeVmRig } from '../../mmu/vm/rig.js';

const P = 4096;
const BASE = 0x10_0000;

describe.each(FORMAT_NAMES)('gpt-view (%s)', (name) => {
  const setup = () => {
    const r = makeVmRig(FORMATS[name]);
    const obj = r.ram(8, 'ram');
    r.vms.map(obj, gpa(BASE), 8 * P, 0, PROT_RW);
    obj.release();
    const c = r.vms.createClient('probe');
    for (let i = 0; i < 3; i++) {
      const h = c.hold(gpa(BASE + i * P), PROT_READ);
      if (!(h instanceof PageHold)) throw new Error('hold failed');
      h.release();
    }
    const gpt = r.vms.gpt;
    const pte = (a: number) => hpa(gpt.leafPte(gpa(a)) as number);
    gpt.resetAccessed(gpa(BASE));
    gpt.resetAccessed(gpa(BASE + P));
    gpt.resetAccessed(gpa(BASE + 2 * P));
    gpt.markAccessed(pte(BASE + P), false); // the hardware read page 1
    gpt.markAccessed(pte(BASE + 2 * P), true); // and wrote page 2
    return { r, gpt };
  };

  it('fills page states from the leaves, changing nothing', () => {
    const { r, gpt } = setup();
    const before = r.mem.u32.slice();
    const out = new Uint8Array(10);
    fillPageStates(gpt, gpa(BASE), out);
    const [o, P_, A, D] = [PAGE_NOT_PRESENT, PAGE_PRESENT, PAGE_ACCESSED, PAGE_DIRTY];
    expect(Array.from(out)).toEqual([P_, A, D, o, o, o, o, o, o, o]);
    walkOf(gpt, gpa(BASE + 2 * P));
    levelInfo(gpt);
    gptInfo(gpt, 7);
    expect(Buffer.from(r.mem.u32.buffer).equals(Buffer.from(before.buffer))).toBe(true);
  });

  it('walks a page root first and decodes every entry', () => {
    const { gpt } = setup();
    const w = walkOf(gpt, gpa(BASE + 2 * P));
    expect(w.map((s) => s.level)).toEqual([4, 3, 2, 1]);
    expect(w.map((s) => s.kind)).toEqual(['table', 'table', 'table', 'leaf']);
    expect(w[3].index).toBe((BASE / P + 2) % 512);
    expect(w[3].hfn).toBe(gpt.lookup(gpa(BASE + 2 * P))!.frame);
    expect(w[3].fields.find((f) => f.name === 'ADDR')?.value).toBe('0x' + (w[3].hfn! * P).toString(16));
    expect(w[0].pteHpa).toBe(gpt.rootFrame * P + 8 * Math.floor(BASE / 2 ** 39));
    const missing = walkOf(gpt, gpa(BASE + 5 * P));
    expect(missing[missing.length - 1].kind).toBe('empty');
  });

  it('counts tables and references per level, and decodes the root pointer', () => {
    const { gpt } = setup();
    const levels = levelInfo(gpt);
    expect(levels.map((l) => [l.level, l.tables, l.unbacked])).toEqual([
      [4, 1, 0],
      [3, 1, 0],
      [2, 1, 0],
      [1, 1, 0],
    ]);
    expect(levels[3].refcounts).toEqual([8]); // entries covered by the mapping
    const info = gptInfo(gpt, 7, { vmid: 3 });
    expect(info.format).toBe(name);
    expect(info.generation).toBe(7);
    const root = info.rootPointer.fields.find((f) => f.name === 'ADDR')?.value;
    expect(root).toBe('0x' + (gpt.rootFrame * P).toString(16));
    if (name === 's2') expect(info.rootPointer.raw >> 48n).toBe(3n);
  });
});
