// A DeviceHost that records what devices ask for; guest memory is a small byte array at `base`.
import { gpa } from '../../../mmu/addr.js';
import type { DeviceHost } from '../../../emulator/devices/device.js';
import type { StopReason } from '../../../emulator/stop-reason.js';
import type { TranslationFault } from '../../../emulator/translator.js';

export class FakeHost implements DeviceHost {
  text = '';
  stops: Omit<StopReason, 'pc'>[] = [];
  readonly mem: Uint8Array;
  constructor(
    readonly base = 0x1000,
    size = 0x1000,
  ) {
    this.mem = new Uint8Array(size);
  }
  console(text: string): void {
    this.text += text;
  }
  stop(stop: Omit<StopReason, 'pc'>): void {
    this.stops.push(stop);
  }
  readGuest(va: number, length: number): Uint8Array | TranslationFault {
    const off = va - this.base;
    if (off < 0 || off + length > this.mem.length)
      return { kind: 'nomap', gpa: gpa(va - (va % 4096)), access: 'read' };
    return this.mem.slice(off, off + length);
  }
  /** Store 64-bit little-endian words at guest address `va`. */
  words(va: number, ...values: number[]): void {
    const v = new DataView(this.mem.buffer);
    values.forEach((x, i) => v.setBigUint64(va - this.base + 8 * i, BigInt(x), true));
  }
  bytes(va: number, b: Uint8Array | string): void {
    this.mem.set(typeof b === 'string' ? new TextEncoder().encode(b) : b, va - this.base);
  }
}
