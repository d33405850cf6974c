import { describe, expect, it } from 'vitest';
import { FR_IDLE, PL011_BASE, PL011_DR, PL011_FR, Pl011 } from '../../../emulator/devices/pl011.js';
import { FakeHost } from './fake-host.js';

describe('PL011 UART', () => {
  it('sits at 0x0900_0000 and transmits DR writes', () => {
    const h = new FakeHost();
    const u = new Pl011(h);
    expect(u.gpa).toBe(PL011_BASE);
    expect(PL011_BASE).toBe(0x0900_0000);
    u.write(PL011_DR, 4, 0x41);
    u.write(PL011_DR, 1, 0x0a);
    expect(h.text).toBe('A\n');
  });

  it('reports the transmit FIFO never full (FR.TXFF, bit 5, clear)', () => {
    const u = new Pl011(new FakeHost());
    expect(PL011_FR).toBe(0x18);
    expect(u.read(PL011_FR, 4) & (1 << 5)).toBe(0);
    expect(u.read(PL011_FR, 4)).toBe(FR_IDLE);
  });

  it('ignores other registers', () => {
    const h = new FakeHost();
    const u = new Pl011(h);
    u.write(0x30, 4, 0x301); // UARTCR
    expect(u.read(0x30, 4)).toBe(0);
    expect(h.text).toBe('');
  });
});
