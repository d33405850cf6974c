/*
 * The memory regions mapped into one Unicorn engine, and what keeps each alive.
 *
 * Invariants:
 *
 *  - Memory handed to Unicorn stays referenced for as long as Unicorn maps it. uc_mem_map_ptr
 *    keeps a raw pointer into a JS ArrayBuffer; if the buffer were collected, the guest would
 *    read and write freed memory. So every buffer passed to mapPtr() is pinned here until unmap()
 *    of that exact region or release() at close; partial unmaps of a pinned region are refused.
 *
 *  - The same holds for MMIO callbacks: a region's two trampolines (hook-table.ts, so they never
 *    let an exception reach C) are koffi-unregistered only once Unicorn can no longer call them,
 *    after its uc_mem_unmap or uc_close. A region whose uc_mmio_map fails unregisters them at once.
 *
 *  - Every region, whoever owns its memory, is recorded by its start address, so unmap() can tell
 *    a whole region from part of one.
 */
import koffi from 'koffi';
import type { EngineAccess } from './engine-access.js';
import { u64, type HookTable } from './hook-table.js';

export type MmioRead = (offset: number, size: number) => number;
export type MmioWrite = (offset: number, size: number, value: number) => void;

interface Pinned {
  readonly size: number;
  readonly memory: ArrayBuffer | null; // null for Unicorn-owned RAM and MMIO
  readonly callbacks: bigint[];
}

export class MemoryMap {
  private readonly pinned = new Map<number, Pinned>();

  constructor(
    private readonly engine: EngineAccess,
    private readonly hooks: HookTable,
  ) {}

  /** Map caller-owned memory at host-physical `address`; the buffer is pinned until unmap/release. */
  mapPtr(address: number, memory: ArrayBuffer, perms: number, size: number): void {
    const uc = this.engine.live();
    if (size > memory.byteLength) throw new RangeError(`mapPtr: ${size} bytes exceed the buffer`);
    this.engine.check('uc_mem_map_ptr', this.engine.api.uc_mem_map_ptr(uc, address, size, perms, memory));
    this.pinned.set(address, { size, memory, callbacks: [] });
  }

  /** Map Unicorn-owned RAM (zeroed) at `address`. */
  map(address: number, size: number, perms: number): void {
    const uc = this.engine.live();
    this.engine.check('uc_mem_map', this.engine.api.uc_mem_map(uc, address, size, perms));
    this.pinned.set(address, { size, memory: null, callbacks: [] });
  }

  /** Map an MMIO region whose reads and writes call back into JS. */
  mmioMap(address: number, size: number, read: MmioRead, write: MmioWrite): void {
    const uc = this.engine.live();
    const rcb = this.hooks.trampoline(
      'mmioRead',
      'mmio read',
      0,
      (_uc: unknown, off: number | bigint, sz: number) => read(u64(off), sz),
    );
    const wcb = this.hooks.trampoline(
      'mmioWrite',
      'mmio write',
      undefined,
      (_uc: unknown, off: number | bigint, sz: number, value: number | bigint) =>
        write(u64(off), sz, u64(value)),
    );
    const err = this.engine.api.uc_mmio_map(uc, address, size, rcb, null, wcb, null);
    if (err !== 0) {
      koffi.unregister(rcb);
      koffi.unregister(wcb);
      this.engine.check('uc_mmio_map', err);
    }
    this.pinned.set(address, { size, memory: null, callbacks: [rcb, wcb] });
  }

  /** Unmap exactly one region previously mapped here (its references are released after). */
  unmap(address: number, size: number): void {
    const uc = this.engine.live();
    const p = this.pinned.get(address);
    if (p === undefined || p.size !== size) {
      throw new RangeError(
        `unmap 0x${address.toString(16)}+0x${size.toString(16)}: not a whole mapped region`,
      );
    }
    this.engine.check('uc_mem_unmap', this.engine.api.uc_mem_unmap(uc, address, size));
    this.pinned.delete(address);
    for (const cb of p.callbacks) koffi.unregister(cb);
  }

  /** Drop every region's references; only after uc_close, when Unicorn touches none. */
  release(): void {
    for (const p of this.pinned.values()) for (const cb of p.callbacks) koffi.unregister(cb);
    this.pinned.clear();
  }
}
