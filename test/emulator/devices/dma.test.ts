/*
 * The nestvm-dma engine against a real small nested layer (dma-rig.ts): its registers, and what
 * each transfer does to page holds (counters, chain, deferral, events), to dirty tracking, and to
 * guest memory, including the error cases, which must set STATUS and never throw.
 */
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, gpa } from '../../../mmu/addr.js';
import { PROT_READ, PROT_WRITE } from '../../../mmu/prot.js';
import { VmObject } from '../../../mmu/vm/vm-object.js';
import {
  DMA_BASE_ARM64,
  DMA_ID,
  DMA_MAX_LEN,
  DMA_OP_COPY,
  DMA_OP_FILL,
  DMA_OP_NOP,
  DMA_OP_SUM,
  DMA_REG,
  DMA_STATUS_BADREQ,
  DMA_STATUS_DEVICE,
  DMA_STATUS_DONE,
  DMA_STATUS_ERROR,
  DMA_STATUS_HOLE,
  DMA_STATUS_HOST,
  DMA_STATUS_RIGHTS,
} from '../../../emulator/devices/dma.js';
import { DmaRig, RAM, RAM_END, pagesOf } from './dma-rig.js';

const byteSum = (b: Uint8Array): number => b.reduce((s, x) => (s + x) >>> 0, 0);
const pattern = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * seed + 7) & 0xff);

describe('nestvm-dma registers', () => {
  it('ID reads as "nDMA", version 1, in 4- and 8-byte reads; narrow reads see the low bits', () => {
    const { dma } = new DmaRig();
    expect(dma.read(DMA_REG.ID, 4)).toBe(DMA_ID);
    expect(dma.read(DMA_REG.ID + 4, 4)).toBe(1);
    expect(dma.read(DMA_REG.ID, 8)).toBe(2 ** 32 + DMA_ID);
    expect(dma.read(DMA_REG.ID, 1)).toBe(0x6e);
    expect(dma.read(DMA_REG.ID + 1, 2)).toBe(0x4d44);
    expect(dma.read(0x800, 8)).toBe(0); // undecoded offset
  });

  it('address registers take 8-byte stores and either 32-bit half; read-only registers ignore stores', () => {
    const { dma } = new DmaRig();
    dma.write(DMA_REG.SRC, 8, 0x1234_5678_9abc);
    expect(dma.reg(DMA_REG.SRC)).toBe(0x1234_5678_9abc);
    dma.write(DMA_REG.DST, 4, 0xdead_beef);
    dma.write(DMA_REG.DST + 4, 4, 0x12);
    expect(dma.reg(DMA_REG.DST)).toBe(0x12_dead_beef);
    dma.write(DMA_REG.LEN, 1, 0xff); // narrower than 4 bytes: ignored
    expect(dma.reg(DMA_REG.LEN)).toBe(0);
    dma.write(DMA_REG.STATUS, 8, 0xff);
    dma.write(DMA_REG.ID, 4, 0);
    expect(dma.reg(DMA_REG.STATUS)).toBe(0);
    expect(dma.read(DMA_REG.ID, 4)).toBe(DMA_ID);
  });

  it('a store to the high half of OP does not start anything', () => {
    const rig = new DmaRig();
    rig.dma.write(DMA_REG.DST, 8, RAM);
    rig.dma.write(DMA_REG.LEN, 8, 16);
    rig.dma.write(DMA_REG.OP + 4, 4, 0);
    expect(rig.dma.reg(DMA_REG.STATUS)).toBe(0);
    expect(rig.holdsCounters().taken).toBe(0);
  });

  it('bad requests set BADREQ and take no hold: unknown op, LEN too big, beyond 48 bits', () => {
    const rig = new DmaRig();
    const bad = DMA_STATUS_ERROR | DMA_STATUS_BADREQ;
    expect(rig.run(7, { src: RAM, dst: RAM + 0x1000, len: 16 })).toBe(bad);
    expect(rig.run(DMA_OP_FILL, { len: DMA_MAX_LEN + 1 })).toBe(bad);
    expect(rig.run(DMA_OP_COPY, { src: 2 ** 48, len: 16 })).toBe(bad);
    expect(rig.run(DMA_OP_SUM, { src: 2 ** 48 - 8, len: 16 })).toBe(bad);
    expect(rig.dma.reg(DMA_REG.DONE)).toBe(0);
    expect(rig.holdsCounters().taken).toBe(0);
    expect(rig.events('hold')).toEqual([]);
  });

  it('a register the operation does not use may hold anything: fill ignores SRC, sum ignores DST', () => {
    const rig = new DmaRig();
    rig.dma.write(DMA_REG.SRC + 4, 4, 0xffff_ffff);
    rig.dma.write(DMA_REG.DST + 4, 4, 0xffff_ffff);
    expect(rig.run(DMA_OP_FILL, { dst: RAM, len: 4, value: 3 })).toBe(DMA_STATUS_DONE);
    rig.dma.write(DMA_REG.SRC + 4, 4, 0xffff_ffff);
    rig.dma.write(DMA_REG.DST + 4, 4, 0xffff_ffff);
    expect(rig.run(DMA_OP_SUM, { src: RAM, len: 4 })).toBe(DMA_STATUS_DONE);
    expect(rig.dma.reg(DMA_REG.RESULT)).toBe(12);
  });

  it('NOP clears the results of the last operation', () => {
    const rig = new DmaRig();
    expect(rig.run(DMA_OP_FILL, { dst: RAM, len: 0x10, value: 1 })).toBe(DMA_STATUS_DONE);
    expect(rig.dma.reg(DMA_REG.HOLDS)).toBe(1);
    expect(rig.run(DMA_OP_NOP)).toBe(0);
    for (const r of [DMA_REG.DONE, DMA_REG.RESULT, DMA_REG.FAULT, DMA_REG.HOLDS])
      expect(rig.dma.reg(r)).toBe(0);
  });
});

describe('nestvm-dma transfers through page holds', () => {
  it('fill across pages: one deferred write hold per page, all released, each page dirty once', () => {
    const rig = new DmaRig();
    const dst = RAM + 0x1800;
    const len = 0x2c00; // pages 1..4 of RAM, the first and last partly
    expect(rig.harvest()).toEqual([]);
    expect(rig.run(DMA_OP_FILL, { dst, len, value: 0x1a5 })).toBe(DMA_STATUS_DONE);
    expect(rig.dma.reg(DMA_REG.DONE)).toBe(len);
    expect(rig.dma.reg(DMA_REG.RESULT)).toBe(0);
    expect(rig.peek(dst, len).every((b) => b === 0xa5)).toBe(true);
    expect(rig.peek(dst - 1, 1)[0]).toBe(0);
    expect(rig.peek(dst + len, 1)[0]).toBe(0);

    const pages = pagesOf(dst, len);
    expect(pages).toHaveLength(4);
    expect(rig.taken.map((t) => t.hold.gpa)).toEqual(pages);
    expect(rig.taken.every((t) => t.deferredAtTake && t.hold.prot === PROT_WRITE && t.hold.isReleased)).toBe(
      true,
    );
    expect(rig.dma.reg(DMA_REG.HOLDS)).toBe(4);
    expect(rig.holdsCounters()).toEqual({ taken: 4, released: 4, outstanding: 0 });
    const client = rig.vm.deviceClient.id;
    expect(rig.events('hold').map((e) => [e.client, e.gpa, e.prot])).toEqual(
      pages.map((p) => [client, p, PROT_WRITE]),
    );
    expect(rig.events('release').map((e) => [e.client, e.gpa, e.dirty])).toEqual(
      pages.map((p) => [client, p, true]),
    );
    expect(rig.harvest()).toEqual(pages);
    expect(rig.vm.deviceClient.holds()).toEqual([]);
  });

  it('copy across page boundaries: read holds on the source, write holds on the destination, one chain', () => {
    const rig = new DmaRig();
    const src = RAM + 0x0800;
    const dst = RAM + 0x8c00;
    const len = 0x2100;
    const data = pattern(len, 13);
    rig.poke(src, data);
    expect(rig.run(DMA_OP_COPY, { src, dst, len })).toBe(DMA_STATUS_DONE);
    expect(rig.peek(dst, len)).toEqual(data);
    expect(rig.dma.reg(DMA_REG.RESULT)).toBe(byteSum(data));

    const reads = rig.taken.filter((t) => t.hold.prot === PROT_READ).map((t) => t.hold.gpa);
    const writes = rig.taken.filter((t) => t.hold.prot === PROT_WRITE).map((t) => t.hold.gpa);
    expect(reads).toEqual(pagesOf(src, len));
    expect(writes).toEqual(pagesOf(dst, len));
    expect(rig.taken.every((t) => !t.deferredAtTake && t.hold.isReleased)).toBe(true);
    // the holds were linked in the order taken: one chain, released by its head
    const holds = rig.taken.map((t) => t.hold);
    holds.forEach((h, i) => expect(h.next).toBe(holds[i + 1] ?? null));
    const n = pagesOf(src, len).length + pagesOf(dst, len).length;
    expect(n).toBe(6);
    expect(rig.holdsCounters()).toEqual({ taken: n, released: n, outstanding: 0 });
    expect(rig.dma.reg(DMA_REG.HOLDS)).toBe(n);
    // only the destination was written
    expect(rig.harvest()).toEqual(pagesOf(dst, len));
    const released = rig.events('release');
    expect(released.filter((e) => e.dirty).map((e) => e.gpa)).toEqual(pagesOf(dst, len));
  });

  it('sum reads with read holds only and dirties nothing', () => {
    const rig = new DmaRig();
    const data = pattern(0x1234, 29);
    rig.poke(RAM + 0x3ff0, data);
    expect(rig.run(DMA_OP_SUM, { src: RAM + 0x3ff0, len: data.length })).toBe(DMA_STATUS_DONE);
    expect(rig.dma.reg(DMA_REG.RESULT)).toBe(byteSum(data));
    expect(rig.taken.every((t) => t.hold.prot === PROT_READ)).toBe(true);
    expect(rig.taken).toHaveLength(pagesOf(RAM + 0x3ff0, data.length).length);
    expect(rig.harvest()).toEqual([]);
  });

  it('a destination that runs into a hole: the pages before it are written and dirty, then HOLE', () => {
    const rig = new DmaRig();
    const src = RAM;
    const dst = RAM_END - 0x1800;
    const data = pattern(0x3000, 5);
    rig.poke(src, data);
    const status = rig.run(DMA_OP_COPY, { src, dst, len: 0x3000 });
    expect(status).toBe(DMA_STATUS_ERROR | DMA_STATUS_HOLE);
    expect(rig.dma.reg(DMA_REG.DONE)).toBe(0x1800);
    expect(rig.dma.reg(DMA_REG.FAULT)).toBe(RAM_END);
    expect(rig.peek(dst, 0x1800)).toEqual(data.subarray(0, 0x1800));
    expect(rig.dma.reg(DMA_REG.RESULT)).toBe(byteSum(data.subarray(0, 0x1800)));
    expect(rig.holdsCounters().outstanding).toBe(0);
    expect(rig.taken.every((t) => t.hold.isReleased)).toBe(true);
    expect(rig.harvest()).toEqual(pagesOf(dst, 0x1800));
  });

  it('a source in a hole: nothing transferred, no write hold, nothing dirty', () => {
    const rig = new DmaRig();
    expect(rig.run(DMA_OP_COPY, { src: 0x1000_0000, dst: RAM, len: 0x100 })).toBe(
      DMA_STATUS_ERROR | DMA_STATUS_HOLE,
    );
    expect(rig.dma.reg(DMA_REG.DONE)).toBe(0);
    expect(rig.dma.reg(DMA_REG.FAULT)).toBe(0x1000_0000);
    expect(rig.holdsCounters().taken).toBe(0);
    expect(rig.harvest()).toEqual([]);
  });

  it('a device page as source or destination: DEVICE, nothing moved, the engine registers intact', () => {
    const rig = new DmaRig();
    expect(rig.run(DMA_OP_FILL, { dst: DMA_BASE_ARM64, len: 0x40, value: 0 })).toBe(
      DMA_STATUS_ERROR | DMA_STATUS_DEVICE,
    );
    expect(rig.dma.reg(DMA_REG.FAULT)).toBe(DMA_BASE_ARM64);
    expect(rig.dma.read(DMA_REG.ID, 4)).toBe(DMA_ID);
    expect(rig.run(DMA_OP_SUM, { src: DMA_BASE_ARM64, len: 8 })).toBe(DMA_STATUS_ERROR | DMA_STATUS_DEVICE);
    expect(rig.holdsCounters()).toEqual({ taken: 0, released: 0, outstanding: 0 });
  });

  it('a read-only region: copying from it works, writing to it is RIGHTS', () => {
    const rig = new DmaRig();
    const ro = 0x5000_0000;
    const obj = VmObject.memory(rig.vm.reservoir, PAGE_SIZE, { pmap: rig.vm.pmap });
    if (!(obj instanceof VmObject)) throw new Error('reservoir too small for the test');
    expect(rig.vm.vmspace.map(obj, gpa(ro), PAGE_SIZE, 0, PROT_READ).kind).toBe('ok');
    obj.release();
    expect(rig.run(DMA_OP_COPY, { src: ro, dst: RAM, len: 0x100 })).toBe(DMA_STATUS_DONE);
    expect(rig.run(DMA_OP_FILL, { dst: ro + 0x10, len: 4, value: 9 })).toBe(
      DMA_STATUS_ERROR | DMA_STATUS_RIGHTS,
    );
    expect(rig.dma.reg(DMA_REG.FAULT)).toBe(ro);
    expect(rig.holdsCounters().outstanding).toBe(0);
  });

  it('without a nested layer (no holdGuest) every transfer answers HOST and nothing throws', () => {
    const rig = new DmaRig({ withHolds: false });
    expect(rig.run(DMA_OP_FILL, { dst: RAM, len: 8, value: 1 })).toBe(DMA_STATUS_ERROR | DMA_STATUS_HOST);
    expect(rig.peek(RAM, 8).every((b) => b === 0)).toBe(true);
  });

  it('LEN 0 is done at once and holds nothing', () => {
    const rig = new DmaRig();
    expect(rig.run(DMA_OP_COPY, { src: RAM, dst: RAM + 0x1000, len: 0 })).toBe(DMA_STATUS_DONE);
    expect(rig.holdsCounters().taken).toBe(0);
  });
});
