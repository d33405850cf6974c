/*
 * QEMU `isa-debug-exit` at port 0xF4: writing v ends the run with host status (v << 1) | 1, so a
 * guest can report success or failure to a test harness (status 0 is impossible by design: it
 * would be confused with a clean power-off).
 */
import { debugExitStatus } from '../stop-reason.js';
import { allOnes, type DeviceHost, type PortDevice } from './device.js';

export const DEBUG_EXIT_PORT = 0xf4;

export class DebugExit implements PortDevice {
  readonly name = 'isa-debug-exit';
  readonly ports = [DEBUG_EXIT_PORT];
  constructor(private readonly host: DeviceHost) {}

  read(_port: number, size: number): number {
    return allOnes(size);
  }

  write(_port: number, size: number, value: number): void {
    const v = size >= 4 ? value >>> 0 : value & allOnes(size);
    this.host.stop({
      reason: 'exit',
      code: debugExitStatus(v),
      message: `guest wrote 0x${v.toString(16)} to isa-debug-exit (port 0xf4)`,
    });
  }
}
