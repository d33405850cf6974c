import { describe, expect, it } from 'vitest';
import { DEBUGCON_PORT, DebugCon } from '../../../emulator/devices/debugcon.js';
import { DEBUG_EXIT_PORT, DebugExit } from '../../../emulator/devices/debug-exit.js';
import { allOnes } from '../../../emulator/devices/device.js';
import { COM1, LSR_TX_EMPTY, Uart16550 } from '../../../emulator/devices/uart16550.js';
import { FakeHost } from './fake-host.js';

describe('debugcon (port 0xE9)', () => {
  it('prints each byte written and answers 0xE9 to a probe', () => {
    const h = new FakeHost();
    const d = new DebugCon(h);
    expect(d.ports).toEqual([0xe9]);
    for (const c of 'ok\n') d.write(DEBUGCON_PORT, 1, c.charCodeAt(0));
    d.write(DEBUGCON_PORT, 1, 0x141); // only the low byte
    expect(h.text).toBe('ok\nA');
    expect(d.read(DEBUGCON_PORT, 1)).toBe(0xe9);
  });
});

describe('16550 UART (COM1, write-only)', () => {
  it('transmits THR writes and reports the transmitter empty in LSR', () => {
    const h = new FakeHost();
    const u = new Uart16550(h);
    expect(u.ports).toEqual([0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff]);
    expect(u.read(COM1 + 5, 1)).toBe(LSR_TX_EMPTY);
    expect(LSR_TX_EMPTY).toBe(0x60);
    u.write(COM1, 1, 0x48);
    u.write(COM1, 1, 0x69);
    expect(h.text).toBe('Hi');
    expect(u.read(COM1 + 2, 1)).toBe(0x01); // no interrupt pending
  });

  it('treats THR/IER as the divisor latch while LCR.DLAB is set', () => {
    const h = new FakeHost();
    const u = new Uart16550(h);
    u.write(COM1 + 3, 1, 0x83); // DLAB | 8N1
    u.write(COM1, 1, 0x01);
    u.write(COM1 + 1, 1, 0x00);
    expect(h.text).toBe('');
    expect(u.read(COM1, 1)).toBe(1);
    u.write(COM1 + 3, 1, 0x03);
    u.write(COM1, 1, 0x21);
    expect(h.text).toBe('!');
    u.write(COM1 + 7, 1, 0x5a);
    expect(u.read(COM1 + 7, 1)).toBe(0x5a);
  });
});

describe('isa-debug-exit (port 0xF4)', () => {
  it('stops with status (v << 1) | 1', () => {
    for (const [v, status] of [
      [0, 1],
      [1, 3],
      [0x20, 0x41],
      [0x7f, 0xff],
      [0x80, 0x01], // (0x80 << 1) | 1 = 0x101: a process status keeps 8 bits
    ]) {
      const h = new FakeHost();
      new DebugExit(h).write(DEBUG_EXIT_PORT, 1, v);
      expect(h.stops).toHaveLength(1);
      expect(h.stops[0].reason).toBe('exit');
      expect(h.stops[0].code).toBe(status);
    }
  });

  it('reads like an undecoded port', () => {
    expect(new DebugExit(new FakeHost()).read(DEBUG_EXIT_PORT, 1)).toBe(0xff);
    expect(allOnes(2)).toBe(0xffff);
    expect(allOnes(4)).toBe(0xffff_ffff);
  });
});
