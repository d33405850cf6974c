// nestedRanges, once per entry format: present leaves listed as ranges, merged only where both the
// guest-physical pages and the host frames continue and the decoded bits agree; nothing written.
import { describe, expect, it } from 'vitest';
import { gpa, hfn } from '../../../mmu/addr.js';
import { FORMAT_NAMES, formatByName } from '../../../mmu/gpt/formats.js';
import { nestedRanges } from '../../../mmu/gpt/gpt-ranges.js';
import { PROT_ALL, PROT_READ } from '../../../mmu/prot.js';
import { makeRig } from './harness.js';

describe.each(FORMAT_NAMES)('nestedRanges (%s)', (name) => {
  it('merges runs of equal leaves over consecutive frames, splits the rest', () => {
    const fmt = formatByName(name);
    const { gpt, guest, mem } = makeRig(fmt, { guestFrames: 8 });
    gpt.populate(gpa(0x10_0000), 0x10_000);
    // frames g0 g1 g2 at consecutive pages: one range; g4 after a gap in frames: a range of its own
    expect(gpt.mapAt(gpa(0x10_0000), guest[0], PROT_ALL, 'wb')).toBe('mapped');
    expect(gpt.mapAt(gpa(0x10_1000), guest[1], PROT_ALL, 'wb')).toBe('mapped');
    expect(gpt.mapAt(gpa(0x10_2000), guest[2], PROT_ALL, 'wb')).toBe('mapped');
    expect(gpt.mapAt(gpa(0x10_3000), guest[4], PROT_ALL, 'wb')).toBe('mapped');
    // different rights, and a device page: ranges of their own, bits named by the format
    expect(gpt.mapAt(gpa(0x10_4000), guest[5], PROT_READ, 'wb')).toBe('mapped');
    expect(gpt.mapAt(gpa(0x10_5000), guest[6], PROT_ALL, 'uc')).toBe('mapped');
    const before = Buffer.from(mem.u8).toString('base64');
    const r = nestedRanges(gpt);
    expect(Buffer.from(mem.u8).toString('base64')).toBe(before);
    expect(r.map((x) => [x.gpa, x.len, x.hfn])).toEqual([
      [0x10_0000, 0x3000, guest[0]],
      [0x10_3000, 0x1000, guest[4]],
      [0x10_4000, 0x1000, guest[5]],
      [0x10_5000, 0x1000, guest[6]],
    ]);
    expect(new Set(r.map((x) => x.bits)).size).toBe(3); // rwx-wb twice (split by frames), r-wb, rwx-uc
    for (const x of r) {
      const leaf = gpt.lookup(gpa(x.gpa))!;
      expect(leaf.frame).toBe(hfn(x.hfn));
      // the bits are the format's decode() of the leaf, less the frame address
      const named = fmt.decode(...words(mem.u32, leaf.pte), 'leaf').fields.map((f) => f.name);
      for (const f of x.fields) expect(named).toContain(f.name);
      expect(x.fields.map((f) => f.name)).not.toContain('ADDR');
    }
  });

  it('lists nothing for an empty table', () => {
    expect(nestedRanges(makeRig(formatByName(name)).gpt)).toEqual([]);
  });
});

const words = (u32: Uint32Array, pte: number): [number, number] => [u32[pte >>> 2], u32[(pte >>> 2) + 1]];
