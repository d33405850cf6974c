/*
 * Issue 4 proof (b): Unicorn's TLB never uses a translation the nested tables no longer allow.
 *
 * Unicorn caches each translation the fill hook returns, and a hit runs no JavaScript at all. So
 * every administrative change that takes something away from a PTE must reach the vCPU before it
 * runs guest code again (the generation protocol: bump, kick, flush at table enter). If it did
 * not, the guest would keep writing through a stale writable entry (no dirty bit), keep using a
 * frame whose PTE was cleared (no re-fault), keep touching an unmapped region (no stop), or keep
 * reading through an entry whose Accessed bit was reset (Accessed stays clear). Each case below
 * makes the change between two slices and checks that the guest's very next access was seen.
 * Run per entry format, on both architectures.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Arch } from '../../../emulator/arch.js';
import type { Machine } from '../../../emulator/machine.js';
import { EXIT_FAULT } from '../../../emulator/stop-reason.js';
import { PAGE_SIZE, gpa } from '../../../mmu/addr.js';
import {
  ARCHES,
  FORMATS,
  asmGuest,
  bitmapPages,
  closeAll,
  expectedConsole,
  loadSample,
  machine,
  peek64,
  ramBase,
  reg,
  runUntil,
  samples,
} from './nested-harness.js';

afterEach(closeAll);

/* The page the small guests use: RAM base + 3 MiB (page index 0x300 of guest RAM). */
const PAGE_OFF = 0x30_0000;
const PAGE_INDEX = PAGE_OFF / PAGE_SIZE;

/* Keep writing an increasing counter to the page. */
const WRITER: Record<Arch, string> = {
  x86_64: `mov rdi, ${PAGE_OFF}\n xor eax, eax\nl: inc rax\n mov [rdi], rax\n jmp l`,
  arm64: `movz x1, #0x4030, lsl #16\n mov x0, #0\nl: add x0, x0, #1\n str x0, [x1]\n b l`,
};
/* Keep reading the page (and counting the reads). */
const READER: Record<Arch, string> = {
  x86_64: `mov rdi, ${PAGE_OFF}\n xor ecx, ecx\nl: mov rax, [rdi]\n inc rcx\n jmp l`,
  arm64: `movz x1, #0x4030, lsl #16\n mov x2, #0\nl: ldr x0, [x1]\n add x2, x2, #1\n b l`,
};

/* memtouch's buffer: its first page is written once in the write pass and read once in the read pass. */
const BUFFER: Record<Arch, number> = { x86_64: 0x20_0000, arm64: 0x4020_0000 };
/* The register memtouch walks the buffer with. */
const CURSOR: Record<Arch, string> = { x86_64: 'rdi', arm64: 'x9' };

const leaf = (m: Machine, guestPhys: number) => m.vm!.vmspace.gpt.lookup(gpa(guestPhys));

function memtouch(arch: Arch) {
  const s = samples().find((x) => x.name === `memtouch-${arch}`);
  if (!s) throw new Error(`memtouch-${arch} is not in guests/index.json`);
  return s;
}

const cases = ARCHES.flatMap((arch) => FORMATS.map((format) => [arch, format] as const));

describe.each(cases)('%s guest on %s tables', (arch, format) => {
  it('(i) a harvested page the guest writes again is dirty again in the next harvest', async () => {
    const m = machine(await asmGuest(arch, WRITER[arch]), { format, sliceInsns: 300 });
    const page = ramBase(arch) + PAGE_OFF;
    expect(m.runSlice()).toBeNull();
    expect(bitmapPages(m.harvestDirty().bitmap)).toContain(PAGE_INDEX);
    // get-and-clear: nothing was written since
    expect(m.harvestDirty().dirty).toBe(0);
    let last = peek64(m, page);
    for (let round = 0; round < 5; round++) {
      const before = m.stats()!;
      expect(m.runSlice()).toBeNull();
      const now = peek64(m, page);
      expect(now).toBeGreaterThan(last); // the guest did write the page in this slice
      last = now;
      const h = m.harvestDirty();
      expect(bitmapPages(h.bitmap)).toEqual([PAGE_INDEX]);
      // the stale writable translation was flushed: the first write came back as a write fill
      const after = m.stats()!;
      expect(after.adSets.dirty - before.adSets.dirty).toBe(1);
      expect(after.generation).toBe(before.generation + 1);
      expect(leaf(m, page)!.dirty).toBe(false);
    }
  });

  it('(ii) a disconnected frame is re-faulted and the guest still computes the right result', async () => {
    const sample = memtouch(arch);
    const img = await loadSample(sample);
    const base = machine(img, { format, sliceInsns: 50 });
    expect(base.run().code).toBe(sample.exitStatus);
    const baseFaults = base.stats()!.faults;

    const m = machine(img, { format, sliceInsns: 50 });
    runUntil(m, () => m.frameOf(gpa(BUFFER[arch])) !== null, 'the first buffer page was written');
    const frame = m.frameOf(gpa(BUFFER[arch]))!;
    expect(m.disconnectFrame(frame)).toBe(1);
    expect(m.frameOf(gpa(BUFFER[arch]))).toBeNull();
    const stop = m.run();
    expect(m.console).toBe(expectedConsole(sample));
    expect(stop.code).toBe(sample.exitStatus);
    const faults = m.stats()!.faults;
    // exactly one more nested fault: the read pass touching the disconnected page
    expect(faults.total).toBe(baseFaults.total + 1);
    expect(faults.read).toBe(baseFaults.read + 1);
    // the page came back on the same frame (the object's), with its contents
    expect(m.frameOf(gpa(BUFFER[arch]))).toBe(frame);
  });

  /* Unmap memtouch's buffer region once `ready` holds; the guest must stop at its next touch of it. */
  function unmapAndExpectStop(m: Machine, ready: () => boolean, what: string): number {
    runUntil(m, ready, what);
    expect(m.unmapRegion(gpa(BUFFER[arch]))).toBe(true);
    expect(m.frameOf(gpa(BUFFER[arch]))).toBeNull();
    const stop = m.run();
    expect(stop.reason).toBe('fault');
    expect(stop.code).toBe(EXIT_FAULT);
    const named = /guest-physical (0x[0-9a-f_]+)/.exec(stop.message ?? '');
    expect(named, stop.message).not.toBeNull();
    const addr = Number(named![1].replace(/_/g, ''));
    // the page the guest was about to touch: where its cursor points, inside the unmapped region
    const cursor = reg(m, CURSOR);
    expect(addr).toBe(cursor - (cursor % PAGE_SIZE));
    expect(addr).toBeGreaterThanOrEqual(BUFFER[arch]);
    expect(addr).toBeLessThan(BUFFER[arch] + 1024 * 1024);
    return addr;
  }

  it('(iii) a RAM region unmapped mid-run stops the guest at its next touch (a fresh page)', async () => {
    const m = machine(await loadSample(memtouch(arch)), { format, sliceInsns: 50 });
    unmapAndExpectStop(m, () => m.frameOf(gpa(BUFFER[arch])) !== null, 'the first buffer page was written');
  });

  it("(iii) ... and at its next touch of a page it used before (cached in Unicorn's TLB)", async () => {
    const m = machine(await loadSample(memtouch(arch)), { format, sliceInsns: 50 });
    const last = BUFFER[arch] + 255 * PAGE_SIZE;
    // after the write pass: the read pass goes back over pages the guest has just written
    const addr = unmapAndExpectStop(m, () => m.frameOf(gpa(last)) !== null, 'the write pass ended');
    expect(addr).toBeLessThan(last);
  });

  it('(iii) an unmapped region mapped back keeps its contents and the guest completes', async () => {
    const sample = memtouch(arch);
    const m = machine(await loadSample(sample), { format, sliceInsns: 50 });
    runUntil(
      m,
      () => m.frameOf(gpa(BUFFER[arch] + 4 * PAGE_SIZE)) !== null,
      'five buffer pages were written',
    );
    expect(m.unmapRegion(gpa(BUFFER[arch]))).toBe(true);
    expect(m.remapRegion(gpa(BUFFER[arch]))).toBe(true);
    const stop = m.run();
    expect(m.console).toBe(expectedConsole(sample));
    expect(stop.code).toBe(sample.exitStatus);
  });

  it('(iv) after an Accessed reset, the next read sets Accessed again (and not Dirty)', async () => {
    const m = machine(await asmGuest(arch, READER[arch]), { format, sliceInsns: 200 });
    const page = ramBase(arch) + PAGE_OFF;
    expect(m.runSlice()).toBeNull();
    expect(leaf(m, page)).toMatchObject({ accessed: true, dirty: false });
    for (let round = 0; round < 3; round++) {
      expect(m.resetAccessed()).toBeGreaterThan(0);
      expect(leaf(m, page)).toMatchObject({ accessed: false, dirty: false });
      const reads = reg(m, { x86_64: 'rcx', arm64: 'x2' });
      expect(m.runSlice()).toBeNull();
      expect(reg(m, { x86_64: 'rcx', arm64: 'x2' })).toBeGreaterThan(reads);
      expect(leaf(m, page)).toMatchObject({ accessed: true, dirty: false });
    }
  });

  it('(iv) after an Accessed reset, the next write sets Accessed and Dirty again', async () => {
    const m = machine(await asmGuest(arch, WRITER[arch]), { format, sliceInsns: 200 });
    const page = ramBase(arch) + PAGE_OFF;
    expect(m.runSlice()).toBeNull();
    expect(leaf(m, page)).toMatchObject({ accessed: true, dirty: true });
    expect(m.resetAccessed()).toBeGreaterThan(0);
    expect(leaf(m, page)).toMatchObject({ accessed: false, dirty: false });
    expect(m.runSlice()).toBeNull();
    expect(leaf(m, page)).toMatchObject({ accessed: true, dirty: true });
  });
});
