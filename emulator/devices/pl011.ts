/*
 * The PL011 UART of QEMU's arm64 `virt` board at guest-physical 0x0900_0000, transmit side only.
 *
 *   +0x00 DR   write: transmit the low byte; read: 0 (nothing is ever received)
 *   +0x18 FR   flags: 0x90 = TXFE (bit 7, transmit FIFO empty) | RXFE (bit 4, receive FIFO
 *              empty); TXFF (bit 5, transmit FIFO full) and BUSY (bit 3) are always clear, so a
 *              guest polling `while (FR & TXFF)` never waits
 *   others     control, baud and interrupt registers: reads 0, writes ignored
 */
import type { DeviceHost, MmioDevice } from './device.js';

export const PL011_BASE = 0x0900_0000;
export const PL011_DR = 0x00;
export const PL011_FR = 0x18;
export const FR_IDLE = 0x90;

export class Pl011 implements MmioDevice {
  readonly name = 'pl011';
  readonly gpa = PL011_BASE;
  readonly size = 0x1000;
  constructor(private readonly host: DeviceHost) {}

  read(offset: number, _size: number): number {
    return offset === PL011_FR ? FR_IDLE : 0;
  }

  write(offset: number, _size: number, value: number): void {
    if (offset === PL011_DR) this.host.console(String.fromCharCode(value & 0xff));
  }
}
