import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FixedOffsetTranslator, isFault } from '../../emulator/translator.js';
import { PAGE_SIZE, gpa, gva, hpa } from '../../mmu/addr.js';
import { PROT_ALL, PROT_READ, PROT_WRITE } from '../../mmu/prot.js';

const RAM = 0x4000_0000;
const SIZE = 16 * 1024 * 1024;
const t = new FixedOffsetTranslator(gpa(RAM), SIZE, hpa(0x10_0000), [
  { gpa: gpa(0x0900_0000), size: PAGE_SIZE, hpa: hpa(0x200_0000) },
]);

describe('FixedOffsetTranslator', () => {
  it('maps guest RAM at a fixed offset, page-aligned, with all rights', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SIZE - 1 }),
        fc.constantFrom('read', 'write', 'exec' as const),
        (off, access) => {
          const r = t.translate(gva(RAM + off), access);
          expect(isFault(r)).toBe(false);
          if (isFault(r)) return;
          expect(r.hpa).toBe(0x10_0000 + off - (off % PAGE_SIZE));
          expect(r.prot).toBe(PROT_ALL);
        },
      ),
    );
  });

  it('routes device pages to their aperture, never executable', () => {
    expect(t.translate(gva(0x0900_0018), 'write')).toEqual({ hpa: 0x200_0000, prot: PROT_READ | PROT_WRITE });
    expect(t.translate(gva(0x0900_0000), 'exec')).toEqual({
      kind: 'rights',
      gpa: 0x0900_0000,
      access: 'exec',
      prot: PROT_READ | PROT_WRITE,
    });
  });

  it('reports everything else as nomap with the page address', () => {
    expect(t.translate(gva(RAM - 1), 'read')).toEqual({
      kind: 'nomap',
      gpa: RAM - PAGE_SIZE,
      access: 'read',
    });
    expect(t.translate(gva(RAM + SIZE), 'write')).toEqual({
      kind: 'nomap',
      gpa: RAM + SIZE,
      access: 'write',
    });
    expect(t.translate(gva(0x0900_1000), 'read')).toMatchObject({ kind: 'nomap' });
  });
});
