/*
 * QEMU `isa-debugcon` on port 0xE9: each byte written is console output. Reading the port returns
 * 0xE9, which is how guests probe for the device under QEMU/Bochs.
 */
import type { DeviceHost, PortDevice } from './device.js';

export const DEBUGCON_PORT = 0xe9;

export class DebugCon implements PortDevice {
  readonly name = 'debugcon';
  readonly ports = [DEBUGCON_PORT];
  constructor(private readonly host: DeviceHost) {}

  read(_port: number, _size: number): number {
    return DEBUGCON_PORT;
  }

  write(_port: number, _size: number, value: number): void {
    this.host.console(String.fromCharCode(value & 0xff));
  }
}
