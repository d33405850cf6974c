/*
 * The record behind `monitor info tlb` (emulator/debug/tlb-record.ts) is flushed exactly when
 * Unicorn's TLB is: by nestvm's own flush at a table enter after the generation moved, and by the
 * guest's translation-context changes (here: turning its paging on). Before the context check the
 * record still listed the writes that built the guest's tables with paging off.
 */
import { describe, expect, it } from 'vitest';
import { TlbRecord } from '../../../emulator/debug/tlb-record.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { Machine } from '../../../emulator/machine.js';
import { PROT_READ } from '../../../mmu/prot.js';

describe('TlbRecord', () => {
  it('keeps grants while the context stays, and drops them all when it changes', () => {
    const r = new TlbRecord();
    r.noteContext('a');
    r.grant(0x2123, 0x9456, PROT_READ, 'read');
    r.grant(0x1000, 0x5000, PROT_READ, 'read');
    r.grant(0x2fff, 0x7000, PROT_READ, 'write'); // the same page again: replaces the first
    r.noteContext('a');
    expect(r.entries().map((g) => [g.gvaPage, g.hpaPage, g.access])).toEqual([
      [0x1000, 0x5000, 'read'],
      [0x2000, 0x7000, 'write'],
    ]);
    expect(r.flushes).toBe(0);
    r.noteContext('b');
    expect(r.entries()).toEqual([]);
    expect(r.flushes).toBe(1);
  });
});

describe.each([
  ['x86_64', 'guests/x86_64/paging.s', 0x30_0000],
  ['arm64', 'guests/arm64/paging.s', 0x4030_0000],
])('the TLB record of a %s guest that turns its paging on', (_arch, guest, tables) => {
  it('forgets the paging-off fills, and is flushed with the engine after a generation move', async () => {
    const image = await loadGuest(guest, { memBytes: 16 << 20 });
    const m = new Machine(image, { memBytes: 16 << 20 });
    try {
      m.debug.recordTlb();
      const strcpy = image.symbols.find((s) => s.name === 'strcpy')!.addr;
      m.debug.breakpoints.add(strcpy);
      let r;
      do r = m.debugSlice(1000);
      while (r === null);
      expect(r).toEqual({ kind: 'breakpoint', pc: strcpy });
      const at = m.debug.tlbEntries();
      // the guest wrote its tables with paging off; those translations went with the switch
      expect(at.grants.filter((g) => g.gvaPage >= tables && g.gvaPage < tables + 0x10_0000)).toEqual([]);
      expect(at.grants.some((g) => g.access === 'exec')).toBe(true);
      expect(at.flushes).toBeGreaterThanOrEqual(2);

      expect(m.resetAccessed()).toBeGreaterThan(0); // the generation moves on
      expect(m.debug.tlbEntries()).toEqual(at); // the engine flushes at the next table enter, not before
      m.debug.breakpoints.lifted(strcpy, () => m.debugSlice(1)); // strcpy's first load
      const after = m.debug.tlbEntries();
      expect(after.flushes).toBe(at.flushes + 1);
      // only what that one instruction was granted since the flush: its code page (and its data)
      expect(at.grants.some((g) => g.access === 'write')).toBe(true); // the stack, before the flush
      expect(after.grants.some((g) => g.access === 'write')).toBe(false);
      expect(after.grants.map((g) => g.access)).toContain('exec');
      for (const g of after.grants) expect(['exec', 'read']).toContain(g.access);
    } finally {
      m.debug.breakpoints.clear();
      m.close();
    }
  });
});
