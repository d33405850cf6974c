/*
 * The guest state apart from RAM (emulator/snapshot/guest-state.ts): what is captured reads back
 * the same from a second engine it was applied to, a state of the other architecture or with a
 * device that does not fit changes nothing, and a guest page read through guest-pages.ts has no
 * side effect on the nested tables.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GuestStateError, VCPU_STATE } from '../../../emulator/snapshot/guest-state.js';
import { readGuestPage, writeGuestPage } from '../../../emulator/snapshot/guest-pages.js';
import { PAGE_SIZE, gpa } from '../../../mmu/addr.js';
import { ARCHES, closeAll, loadSample, machine, samples } from '../nested/nested-harness.js';

afterEach(closeAll);

const sample = (name: string) => samples().find((s) => s.name === name)!;

describe.each(ARCHES)('%s', (arch) => {
  it('a captured state applied to a fresh machine reads back the same; with RAM, both run on alike', async () => {
    const img = await loadSample(sample(`paging-${arch}`));
    const a = machine(img, { sliceInsns: 1000 });
    expect(a.runSlice(3000)).toBeNull(); // paging is on by now
    const s = a.guestState();
    expect(s.registers.map((r) => r.name)).toEqual(VCPU_STATE[arch]);
    expect(s.instructions).toBe(3000);
    const b = machine(img, { hostLayout: 'identity' });
    b.guestState(s);
    expect(b.instructions).toBe(3000);
    expect(b.guestState()).toEqual(s);
    b.restore(a.snapshot());
    expect(b.guestState()).toEqual(s);
    const [sa, sb] = [a.run(), b.run()];
    expect(sb).toEqual(sa);
    expect(b.console).toBe(a.console);
    expect(b.instructions).toBe(a.instructions);
  });

  it('a state of the other architecture, or a device state that does not fit, changes nothing', async () => {
    const other = ARCHES.find((x) => x !== arch)!;
    const a = machine(await loadSample(sample(`hello-${other}`)));
    const b = machine(await loadSample(sample(`hello-${arch}`)));
    const before = b.guestState();
    expect(() => b.guestState(a.guestState())).toThrow(GuestStateError);
    const bad = { ...before, devices: before.devices.map((d) => ({ ...d, words: [1, 2] })) };
    expect(() => b.guestState(bad)).toThrow(/does not fit/);
    expect(b.guestState()).toEqual(before);
  });

  it('a guest page is read and written by gpa without a nested entry, Accessed or Dirty bit', async () => {
    const m = machine(await loadSample(sample(`memtouch-${arch}`)));
    const vm = m.vm!;
    const g = gpa(vm.opts.ramBase + 0x20_0000);
    const page = new Uint8Array(PAGE_SIZE).fill(0x5a);
    expect(writeGuestPage(vm, g, page)).toBe(true);
    const out = new Uint8Array(PAGE_SIZE);
    expect(readGuestPage(vm, g, out)).toBe('frame');
    expect(out).toEqual(page);
    expect(vm.vmspace.gpt.lookup(g)).toBeNull(); // no nested entry was made
    expect(m.harvestDirty().dirty).toBe(0);
    expect(readGuestPage(vm, gpa(vm.opts.ramBase + 0x30_0000), out)).toBe('zero');
    expect(readGuestPage(vm, gpa(vm.opts.ramBase + m.memBytes), out)).toBeNull();
  });
});
