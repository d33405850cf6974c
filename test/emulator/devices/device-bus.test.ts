import { describe, expect, it } from 'vitest';
import { DeviceBus } from '../../../emulator/device-bus.js';
import { FakeHost } from './fake-host.js';

describe('DeviceBus', () => {
  it('x86-64: routes ports to debugcon, 16550 and debug-exit; undecoded ports read all ones', () => {
    const h = new FakeHost();
    const bus = new DeviceBus('x86_64', h);
    expect(bus.mmio.map((d) => [d.name, d.gpa])).toEqual([['nestvm-dma', 0xfeb0_0000]]);
    bus.portWrite(0xe9, 1, 0x41);
    bus.portWrite(0x3f8, 1, 0x42);
    expect(h.text).toBe('AB');
    expect(bus.portRead(0x3fd, 1)).toBe(0x60);
    expect(bus.portRead(0x80, 1)).toBe(0xff);
    expect(bus.portRead(0x80, 2)).toBe(0xffff);
    bus.portWrite(0xf4, 1, 0x102); // masked to the access size: v = 2
    expect(h.stops[0]).toMatchObject({ reason: 'exit', code: 5 });
  });

  it('arm64: PL011 then nestvm-dma apertures from the first 2 MiB boundary above host RAM', () => {
    const bus = new DeviceBus('arm64', new FakeHost());
    expect(bus.mmio.map((d) => d.name)).toEqual(['pl011', 'nestvm-dma']);
    expect(bus.windows(16 * 1024 * 1024)).toEqual([
      { gpa: 0x0900_0000, size: 0x1000, hpa: 0x100_0000 },
      { gpa: 0x0910_0000, size: 0x1000, hpa: 0x100_1000 },
    ]);
    expect(bus.windows(16 * 1024 * 1024 + 4096)[0].hpa).toBe(0x120_0000);
  });
});
