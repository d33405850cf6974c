import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../../emulator/guest-memory.js';
import { FixedOffsetTranslator } from '../../emulator/translator.js';
import { gpa, hpa } from '../../mmu/addr.js';

const RAM = 0x4000_0000;
const host = new Uint8Array(0x10000);
const mem = new GuestMemory(
  new FixedOffsetTranslator(gpa(RAM), 0x8000, hpa(0x4000), [
    { gpa: gpa(0x0900_0000), size: 0x1000, hpa: hpa(0x20000) },
  ]),
  host,
);

describe('GuestMemory', () => {
  it('reads and writes across page boundaries through the translator', () => {
    const data = Uint8Array.from({ length: 6000 }, (_, i) => i & 0xff);
    expect(mem.write(RAM + 0xf00, data)).toBeNull();
    expect(host.subarray(0x4000 + 0xf00, 0x4000 + 0xf00 + 6000)).toEqual(data);
    expect(mem.read(RAM + 0xf00, 6000)).toEqual(data);
    expect(mem.word32(RAM + 0xf00)).toBe(0x03020100);
  });

  it('reports the first page that does not translate', () => {
    expect(mem.read(RAM + 0x7ffe, 4)).toEqual({ kind: 'nomap', gpa: RAM + 0x8000, access: 'read' });
    expect(mem.write(RAM - 2, new Uint8Array(4))).toEqual({
      kind: 'nomap',
      gpa: RAM - 0x1000,
      access: 'write',
    });
    expect(mem.word32(0x1234)).toBeNull();
  });

  it('does not read device apertures (they are not host RAM)', () => {
    expect(mem.read(0x0900_0000, 4)).toEqual({ kind: 'nomap', gpa: 0x0900_0000, access: 'read' });
  });
});
