/*
 * The device bus of one machine: which devices exist for an architecture (DESIGN §5), how port
 * accesses reach them, and where each MMIO device's aperture sits in host-physical space.
 *
 *   x86-64   port 0xE9 debugcon, ports 0x3F8..0x3FF 16550, port 0xF4 isa-debug-exit;
 *            nestvm-dma at guest-physical 0xFEB0_0000
 *   arm64    PL011 at guest-physical 0x0900_0000, nestvm-dma at 0x0910_0000
 *
 * Apertures: one per MMIO device, packed from the first 2 MiB boundary at or above the end of
 * host RAM (so RAM and apertures never overlap, whatever the RAM size). A port nobody decodes
 * reads all ones and ignores writes, as on a PC bus.
 */
import { PAGE_SIZE, gpa, hpa } from '../mmu/addr.js';
import type { Arch } from './arch.js';
import { DebugCon } from './devices/debugcon.js';
import { DebugExit } from './devices/debug-exit.js';
import { DMA_BASE_ARM64, DMA_BASE_X86, DmaEngine } from './devices/dma.js';
import {
  allOnes,
  type DeviceHost,
  type MmioDevice,
  type PortDevice,
  type SavedDevice,
} from './devices/device.js';
import { Pl011 } from './devices/pl011.js';
import { Uart16550 } from './devices/uart16550.js';
import type { DeviceWindow } from './translator.js';

const APERTURE_ALIGN = 2 * 1024 * 1024;
const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

export class DeviceBus {
  private readonly ports = new Map<number, PortDevice>();
  /** MMIO devices, in aperture order. */
  readonly mmio: readonly MmioDevice[];
  /** The devices that keep state between accesses (a snapshot's), in a fixed order. */
  readonly saved: readonly SavedDevice[];

  constructor(arch: Arch, host: DeviceHost) {
    const mmio: MmioDevice[] = [];
    const dma = new DmaEngine(host, arch === 'x86_64' ? DMA_BASE_X86 : DMA_BASE_ARM64);
    if (arch === 'x86_64') {
      const uart = new Uart16550(host);
      for (const dev of [new DebugCon(host), uart, new DebugExit(host)]) {
        for (const p of dev.ports) this.ports.set(p, dev);
      }
      mmio.push(dma);
      this.saved = [uart, dma];
    } else {
      mmio.push(new Pl011(host), dma);
      this.saved = [dma];
    }
    this.mmio = mmio;
  }

  portRead(port: number, size: number): number {
    const dev = this.ports.get(port);
    return dev === undefined ? allOnes(size) : dev.read(port, size) & allOnes(size);
  }

  portWrite(port: number, size: number, value: number): void {
    this.ports.get(port)?.write(port, size, size >= 4 ? value >>> 0 : value & allOnes(size));
  }

  /** The apertures of the MMIO devices (same order as `mmio`) above `hostBytes` of host RAM. */
  windows(hostBytes: number): DeviceWindow[] {
    let next = roundUp(hostBytes, APERTURE_ALIGN);
    return this.mmio.map((d) => {
      const w: DeviceWindow = { gpa: gpa(d.gpa), size: d.size, hpa: hpa(next) };
      next += roundUp(d.size, PAGE_SIZE);
      return w;
    });
  }
}
