import { afterEach, describe, expect, it } from 'vitest';
import { PAGE_SIZE, gpa } from '../../mmu/addr.js';
import type { Machine } from '../../emulator/machine.js';
import { FORMATS, closeAll, loadSample, machine, samples } from './nested/nested-harness.js';

afterEach(closeAll);

/* The model: look every page of guest RAM up in the nested tables, one by one. */
function dirtyByLookup(m: Machine): number {
  const vm = m.vm!;
  let n = 0;
  for (let off = 0; off < vm.opts.memBytes; off += PAGE_SIZE)
    if (vm.vmspace.gpt.lookup(gpa(vm.opts.ramBase + off))?.dirty === true) n++;
  return n;
}

describe('run stats: dirtyPages', () => {
  const memtouch = samples().filter((s) => s.name.startsWith('memtouch'));
  for (const s of memtouch)
    for (const format of FORMATS)
      it(`${s.name} on ${format}: counts what a page-by-page lookup counts`, async () => {
        const m = machine(await loadSample(s), { format });
        m.run();
        const dirty = m.stats()!.dirtyPages;
        expect(dirty).toBe(dirtyByLookup(m));
        expect(dirty).toBeGreaterThan(255); // memtouch writes 256 pages
        m.harvestDirty();
        expect(m.stats()!.dirtyPages).toBe(dirtyByLookup(m));
      });
});
