/*
 * A small real nested layer for the nestvm-dma tests: a NestedVm (arm64 layout, 64 KiB of RAM at
 * 0x4000_0000, stage-2 tables, dirty tracking on), the engine's page mapped as an MMIO object,
 * an engine whose holdGuest is the devices' VmClient (recording every hold it hands out), and
 * byte access to guest RAM straight through the "ram" object's frames (no hold, no fault, no
 * dirty bit), so that checking a transfer never disturbs what it checks.
 */
import { PAGE_SIZE, gpa as toGpa } from '../../../mmu/addr.js';
import { EventLog } from '../../../mmu/events.js';
import type { Prot } from '../../../mmu/prot.js';
import type { PageHold } from '../../../mmu/vm/page-hold.js';
import type { HoldOptions } from '../../../mmu/vm/vm-client.js';
import type { DeviceHost } from '../../../emulator/devices/device.js';
import { DMA_BASE_ARM64, DMA_REG, DmaEngine } from '../../../emulator/devices/dma.js';
import type { MachineEvent } from '../../../emulator/events.js';
import { NestedVm } from '../../../emulator/nested-vm.js';

export const RAM = 0x4000_0000;
export const RAM_BYTES = 64 * 1024;
export const RAM_END = RAM + RAM_BYTES;

export interface TakenHold {
  hold: PageHold;
  /** isDeferred when it was taken. */
  deferredAtTake: boolean;
}

export class DmaRig {
  readonly log = new EventLog<MachineEvent>();
  readonly vm: NestedVm;
  readonly dma: DmaEngine;
  readonly taken: TakenHold[] = [];

  constructor(opts: { withHolds?: boolean } = {}) {
    this.vm = new NestedVm({
      arch: 'arm64',
      ramBase: RAM,
      memBytes: RAM_BYTES,
      format: 's2',
      sink: this.log,
    });
    this.vm.mapDevices([
      { name: 'nestvm-dma', gpa: DMA_BASE_ARM64, size: PAGE_SIZE, hpa: this.vm.mem.bytes },
    ]);
    const client = this.vm.deviceClient;
    const host: DeviceHost = {
      console: () => {},
      stop: () => {
        throw new Error('the DMA engine must never stop the guest');
      },
      readGuest: () => {
        throw new Error('the DMA engine must not use guest-virtual reads');
      },
    };
    if (opts.withHolds ?? true) {
      host.holdGuest = (g, prot: Prot, o?: HoldOptions) => {
        const h = client.hold(g, prot, o);
        if ('bytes' in h) this.taken.push({ hold: h, deferredAtTake: h.isDeferred });
        return h;
      };
    }
    this.dma = new DmaEngine(host, DMA_BASE_ARM64);
  }

  /** Program the registers (8-byte stores) and start `op`; returns STATUS. */
  run(op: number, r: { src?: number; dst?: number; len?: number; value?: number } = {}): number {
    if (r.src !== undefined) this.dma.write(DMA_REG.SRC, 8, r.src);
    if (r.dst !== undefined) this.dma.write(DMA_REG.DST, 8, r.dst);
    if (r.len !== undefined) this.dma.write(DMA_REG.LEN, 8, r.len);
    if (r.value !== undefined) this.dma.write(DMA_REG.VALUE, 8, r.value);
    this.taken.length = 0;
    this.dma.write(DMA_REG.OP, 8, op);
    return this.dma.reg(DMA_REG.STATUS);
  }

  /** Guest RAM bytes [g, g + n), read from the ram object's frames. */
  peek(g: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.pieces(g, n, (host, done, k) => out.set(this.vm.mem.u8.subarray(host, host + k), done));
    return out;
  }

  poke(g: number, bytes: Uint8Array): void {
    this.pieces(g, bytes.length, (host, done, k) => this.vm.mem.u8.set(bytes.subarray(done, done + k), host));
  }

  /** Guest RAM pages (as guest-physical addresses) that a harvest finds dirty (get and clear). */
  harvest(): number[] {
    const bitmap = new Uint8Array(RAM_BYTES / PAGE_SIZE / 8);
    this.vm.vmspace.harvestDirty(toGpa(RAM), RAM_BYTES, bitmap);
    const out: number[] = [];
    for (let i = 0; i < RAM_BYTES / PAGE_SIZE; i++)
      if (bitmap[i >>> 3] & (1 << (i & 7))) out.push(RAM + i * PAGE_SIZE);
    return out;
  }

  holdsCounters(): { taken: number; released: number; outstanding: number } {
    return { ...this.vm.vmspace.counters.holds };
  }

  events<T extends MachineEvent['type']>(type: T): Extract<MachineEvent, { type: T }>[] {
    return this.log.events.filter((e): e is Extract<MachineEvent, { type: T }> => e.type === type);
  }

  /* [g, g + n) of guest RAM cut at page boundaries: (host offset, bytes before, length) each. */
  private pieces(g: number, n: number, fn: (host: number, done: number, k: number) => void): void {
    for (let done = 0; done < n;) {
      const off = g + done - RAM;
      const k = Math.min(PAGE_SIZE - (off % PAGE_SIZE), n - done);
      fn(this.vm.ram.frameAt(off - (off % PAGE_SIZE)) * PAGE_SIZE + (off % PAGE_SIZE), done, k);
      done += k;
    }
  }
}

/** The guest-physical pages [g, g + n) touches, in order. */
export function pagesOf(g: number, n: number): number[] {
  const out: number[] = [];
  for (let p = g - (g % PAGE_SIZE); p < g + n; p += PAGE_SIZE) out.push(p);
  return out;
}
