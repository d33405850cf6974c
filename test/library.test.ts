/*
 * The library API as a lab script uses it (the README's example, step by step): create a machine,
 * step it by slices, harvest the dirty log, evict a frame, unmap and remap a region, read counters.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../emulator/package-root.js';
import { gpa, loadGuest, Machine } from '../index.js';

describe('the library API', () => {
  it('runs the README example', async () => {
    const memBytes = 16 << 20;
    const image = await loadGuest(join(PACKAGE_ROOT, 'guests/x86_64/memtouch.s'), { memBytes });
    const vm = new Machine(image, { memBytes, format: 'npt', sliceInsns: 1000 });
    expect(vm.runSlice()).toBeNull(); // 1000 instructions, still running
    const { dirty, bitmap } = vm.harvestDirty(); // pages written so far; the log is now clear
    expect(dirty).toBeGreaterThan(0);
    expect(bitmap.some((b) => b !== 0)).toBe(true);
    expect(vm.harvestDirty().dirty).toBe(0); // get-and-clear
    const frame = vm.frameOf(gpa(0x200000))!; // host frame behind guest-physical 0x200000
    expect(vm.disconnectFrame(frame)).toBe(1); // evict it: the guest re-faults it
    expect(vm.frameOf(gpa(0x200000))).toBeNull();
    const before = vm.stats()!.faults.total;
    const stop = vm.run();
    expect(stop).toMatchObject({ reason: 'exit', code: 1 });
    expect(vm.console).toMatch(/read back ok, checksum 0x00007f80/);
    const s = vm.stats()!;
    expect(s.format).toBe('npt');
    expect(s.faults.total).toBeGreaterThan(before); // the evicted page came back by a fault
    expect(s.generation).toBeGreaterThan(1); // harvest and eviction took translations away
    vm.close();
  });

  it('unmapping a region mid-run stops the guest at its next touch, with a nested fault report', async () => {
    const memBytes = 16 << 20;
    const image = await loadGuest(join(PACKAGE_ROOT, 'guests/arm64/memtouch.s'), { memBytes });
    const vm = new Machine(image, { memBytes, sliceInsns: 200 });
    expect(vm.runSlice()).toBeNull();
    expect(vm.unmapRegion(gpa(0x4020_0000))).toBe(true);
    const stop = vm.run();
    expect(stop).toMatchObject({ reason: 'fault', code: 4 });
    expect(stop.message).toMatch(/guest-physical 0x402[0-9a-f]{5}/);
    expect(vm.remapRegion(gpa(0x4020_0000))).toBe(true);
    vm.close();
  });
});
