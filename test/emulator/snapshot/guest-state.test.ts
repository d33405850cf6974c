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
import { ARCHES, asmGuest, closeAll, loadSample, machine, reg, samples } from '../nested/nested-harness.js';

afterEach(closeAll);

const sample = (name: string) => samples().find((s) => s.name === name)!;

/*
 * Three instructions fill a vector register's two halves from a general one (x86-64: XMM3; arm64:
 * V3, which is Q3); the snapshot falls there; the rest moves the high half out into x2 / rbx.
 */
const VECTOR: Record<(typeof ARCHES)[number], string> = {
  x86_64: `mov rax, 0x11223344556677\n movq xmm3, rax\n movlhps xmm3, xmm3\n movhlps xmm4, xmm3\n movq rbx, xmm4\n hlt`,
  arm64: `movz x1, #0x7788\n fmov d3, x1\n ins v3.d[1], x1\n mov x2, v3.d[1]\n movz x0, #0x8400, lsl #16\n orr x0, x0, #8\n hvc #0`,
};
const HIGH: Record<(typeof ARCHES)[number], { reg: string; value: number }> = {
  x86_64: { reg: 'rbx', value: 0x11223344556677 },
  arm64: { reg: 'x2', value: 0x7788 },
};

describe.each(ARCHES)('%s', (arch) => {
  it('a vector register crosses a snapshot whole (both halves)', async () => {
    const img = await asmGuest(arch, VECTOR[arch]);
    const a = machine(img);
    expect(a.runSlice(3)).toBeNull();
    const q = a.guestState().vcpus[0].registers.find((r) => r.name === (arch === 'x86_64' ? 'xmm3' : 'q3'))!;
    expect(q.value.length).toBe(16);
    const b = machine(img, { hostLayout: 'identity' });
    b.restore(a.snapshot());
    a.close();
    b.run();
    const want = HIGH[arch];
    expect(reg(b, { x86_64: want.reg, arm64: want.reg })).toBe(want.value);
  });

  it('a captured state applied to a fresh machine reads back the same; with RAM, both run on alike', async () => {
    const img = await loadSample(sample(`paging-${arch}`));
    const a = machine(img, { sliceInsns: 1000 });
    expect(a.runSlice(3000)).toBeNull(); // paging is on by now
    const s = a.guestState();
    expect(s.vcpus.map((v) => v.registers.map((r) => r.name))).toEqual([VCPU_STATE[arch]]);
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
