// walk2dRefs over real two-dimensional walks from mmu/guest-walk (its own test fakes supply the
// nested dimension and build the guest tables).
import { describe, expect, it } from 'vitest';
import { gva } from '../../../mmu/addr.js';
import { X86_RW, walkTwoDimensional, x86LevelName } from '../../../mmu/guest-walk/index.js';
import type { GuestPaging } from '../../../mmu/guest-walk/index.js';
import type { EntryFormat } from '../../../mmu/gpt/entry-format.js';
import { ept } from '../../../mmu/gpt/ept.js';
import { stage2 } from '../../../mmu/gpt/stage2.js';
import { walk2dRefs } from '../../../cli/tui/walk2d.js';
import { OffsetNested, X86Builder } from '../../mmu/guest-walk/fakes.js';

const MiB = 1 << 20;
const OFFSET = 0x80_0000;

function x86() {
  const n = new OffsetNested(0, 8 * MiB, OFFSET);
  const b = new X86Builder(n.builderRam(), 0x10_0000);
  const paging: GuestPaging = { arch: 'x86_64', cfg: { cr3: b.root, wp: true, nxe: true } };
  return { n, b, paging };
}

/* The rows of a 4x4-level walk of a mapped 4 KiB page, nested levels named by `format`. */
function mappedWalk(format: EntryFormat) {
  const { n, b, paging } = x86();
  b.map(0x40_1000, 0x20_3000, 1, X86_RW);
  return walk2dRefs(walkTwoDimensional(paging, gva(0x40_1234), 'read', false, n, n.host), paging, format);
}

describe('walk2dRefs', () => {
  it('numbers the 24 references from 1, then a data row that is not one of them', () => {
    const refs = mappedWalk(ept);
    expect(refs).toHaveLength(25);
    expect(refs.map((r) => r.order)).toEqual([...[...Array(24).keys()].map((i) => i + 1), null]);
    expect(refs.map((r) => r.space[0]).join('')).toBe('nnnng'.repeat(4) + 'nnnnd');
    const guests = refs.filter((r) => r.space === 'guest');
    expect(guests.map((g) => g.level)).toEqual([4, 3, 2, 1].map(x86LevelName));
    expect(guests.map((g) => g.note)).toEqual(['table', 'table', 'table', 'leaf']);
    for (const g of guests) expect(g.hpa).toBe(g.gpa + OFFSET);
    expect(refs.filter((r) => r.space === 'nested').map((r) => r.level)).toEqual(
      Array(5).fill(['PML4E', 'PDPTE', 'PDE', 'PTE']).flat(),
    );
    expect(refs[0]).toMatchObject({
      space: 'nested',
      level: 'PML4E',
      note: `for guest ${x86LevelName(4)} table`,
    });
    expect(refs[20].note).toBe('for data');
    expect(refs[24]).toMatchObject({ space: 'data', gpa: 0x20_3234, hpa: 0x20_3234 + OFFSET });
  });

  it('ends with why the walk stopped when the guest has no mapping', () => {
    const { n, paging } = x86();
    const refs = walk2dRefs(
      walkTwoDimensional(paging, gva(0x7000_0000), 'read', false, n, n.host),
      paging,
      ept,
    );
    const last = refs[refs.length - 1];
    expect(last.space).toBe('data');
    expect(last.note).toMatch(/^stopped: guest page fault/);
    expect(refs.filter((r) => r.space === 'guest').length).toBeGreaterThan(0);
  });

  it('names stage-2 levels L0 to L3 from the root, as the Arm ARM does', () => {
    const refs = mappedWalk(stage2);
    expect(refs.slice(0, 4).map((r) => r.level)).toEqual(['L0', 'L1', 'L2', 'L3']);
  });
});
