/*
 * A write-only 16550 UART at COM1 (ports 0x3F8..0x3FF), enough for polled console output.
 *
 *   +0 THR  write: transmit a byte (when LCR.DLAB = 0; with DLAB = 1 it is the divisor latch)
 *   +1 IER  interrupt enable (stored, no interrupts are raised)
 *   +2 IIR  read: 0x01 = no interrupt pending
 *   +3 LCR  line control; bit 7 = DLAB
 *   +4 MCR  modem control (stored)
 *   +5 LSR  line status: 0x60 = THR empty (bit 5) | transmitter empty (bit 6); never data ready
 *   +6 MSR  modem status: 0
 *   +7 SCR  scratch (stored)
 *
 * Nothing is ever received: guests that poll LSR bit 0 see no input.
 */
import type { DeviceHost, PortDevice, SavedDevice } from './device.js';

export const COM1 = 0x3f8;
export const LSR_TX_EMPTY = 0x60;
const DLAB = 0x80;

export class Uart16550 implements PortDevice, SavedDevice {
  readonly name = 'uart16550';
  readonly ports = Array.from({ length: 8 }, (_, i) => COM1 + i);
  private lcr = 0x03;
  private ier = 0;
  private mcr = 0;
  private scr = 0;
  private divisor = 1;

  constructor(private readonly host: DeviceHost) {}

  /** [LCR, IER, MCR, SCR, divisor latch]. */
  saveState(): number[] {
    return [this.lcr, this.ier, this.mcr, this.scr, this.divisor];
  }

  loadState(words: readonly number[]): boolean {
    if (words.length !== 5 || words.some((w) => w > 0xffff)) return false;
    [this.lcr, this.ier, this.mcr, this.scr, this.divisor] = words;
    return true;
  }

  read(port: number, _size: number): number {
    switch (port - COM1) {
      case 0:
        return this.lcr & DLAB ? this.divisor & 0xff : 0;
      case 1:
        return this.lcr & DLAB ? this.divisor >>> 8 : this.ier;
      case 2:
        return 0x01;
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5:
        return LSR_TX_EMPTY;
      case 7:
        return this.scr;
      default:
        return 0;
    }
  }

  write(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    switch (port - COM1) {
      case 0:
        if (this.lcr & DLAB) this.divisor = (this.divisor & 0xff00) | v;
        else this.host.console(String.fromCharCode(v));
        break;
      case 1:
        if (this.lcr & DLAB) this.divisor = (this.divisor & 0xff) | (v << 8);
        else this.ier = v & 0x0f;
        break;
      case 3:
        this.lcr = v;
        break;
      case 4:
        this.mcr = v & 0x1f;
        break;
      case 7:
        this.scr = v;
        break;
      default:
        break; // IIR/FCR, LSR, MSR: writes have no effect on a transmit-only model
    }
  }
}
