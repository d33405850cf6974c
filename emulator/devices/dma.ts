/*
 * nestvm-dma: a small memory-to-memory DMA engine, the device that makes page holds real (DESIGN
 * §3 PageHold). It is nestvm's own device (QEMU has no such model), one MMIO page at a
 * guest-physical address that suits each architecture's layout:
 *
 *   x86-64   0xFEB0_0000   above RAM, in the PC's 32-bit PCI hole below the IOAPIC (0xFEC0_0000)
 *   arm64    0x0910_0000   a gap of QEMU `virt`'s device map, between its last miscellaneous
 *                          device (0x090B_0000) and virtio-mmio (0x0A00_0000)
 *
 * Like every device window it is a vmspace MMIO object: the guest's first touch of the page is a
 * nested fault that the VMM routes to this model.
 *
 * Registers: 64-bit, little-endian, at 8-byte offsets. Accesses of 8 bytes, or of 4 bytes to
 * either half, are decoded; narrower writes are ignored and narrower reads see their own bytes of
 * the register. An unknown offset reads 0 and ignores writes.
 *
 *   off   name    access  meaning
 *   0x00  ID      R       bits 31:0 0x414D_446E ("nDMA" in memory), bits 63:32 version 1
 *   0x08  SRC     RW      guest-physical source (copy, sum)
 *   0x10  DST     RW      guest-physical destination (copy, fill)
 *   0x18  LEN     RW      bytes to transfer (at most DMA_MAX_LEN)
 *   0x20  VALUE   RW      fill byte (bits 7:0)
 *   0x28  OP      RW      writing (its low half) starts the operation, synchronously: when the store that
 *                         wrote OP completes, the transfer is over and the result registers
 *                         below hold its outcome. Reads give the last operation written.
 *                           0 NOP   clear STATUS, DONE, RESULT, FAULT, HOLDS
 *                           1 COPY  SRC -> DST, LEN bytes (ranges should not overlap)
 *                           2 FILL  DST <- VALUE, LEN bytes
 *                           3 SUM   read SRC, LEN bytes; RESULT = their sum
 *   0x30  STATUS  R       outcome of the last operation (below)
 *   0x38  DONE    R       bytes transferred by the last operation, from its start
 *   0x40  RESULT  R       32-bit sum of the bytes the last operation read (copy, sum; fill: 0)
 *   0x48  FAULT   R       guest-physical page that stopped the last operation (0 if none)
 *   0x50  HOLDS   R       page holds the last operation took (each one released again)
 *
 * STATUS:
 *
 *     6      5       4       3       2      1      0
 *   +------+-------+-------+-------+------+------+------+
 *   | HOST | BADREQ| RIGHTS| DEVICE| HOLE | ERROR| DONE |
 *   +------+-------+-------+-------+------+------+------+
 *    DONE    all LEN bytes were transferred
 *    ERROR   the operation stopped early or never began; one cause bit says why:
 *    HOLE    a page with nothing mapped (FAULT names it)
 *    DEVICE  a device window: the engine moves RAM only (FAULT names it)
 *    RIGHTS  a mapping without the right (e.g. a read-only region as DST)
 *    BADREQ  unknown OP, LEN above DMA_MAX_LEN, or a range beyond the 48-bit guest-physical space
 *    HOST    the VMM could not hold the page (host memory exhausted, or no nested paging layer)
 *
 * A transfer that errs keeps the bytes of the pieces before the failing page and touches
 * nothing after it (dma-transfer.ts). Every transfer takes its page holds on the devices'
 * VmClient and releases them before OP's store completes; see dma-transfer.ts for the chain
 * and for the deferred dirtying of FILL.
 */
import type { DeviceHost, MmioDevice, SavedDevice } from './device.js';
import { transfer, type DmaError, type DmaOp } from './dma-transfer.js';

export const DMA_BASE_X86 = 0xfeb0_0000;
export const DMA_BASE_ARM64 = 0x0910_0000;
/** Largest LEN one operation accepts (the transfer runs inside one guest store). */
export const DMA_MAX_LEN = 16 * 1024 * 1024;
export const DMA_ID = 0x414d_446e;
export const DMA_VERSION = 1;

export const DMA_REG = {
  ID: 0x00,
  SRC: 0x08,
  DST: 0x10,
  LEN: 0x18,
  VALUE: 0x20,
  OP: 0x28,
  STATUS: 0x30,
  DONE: 0x38,
  RESULT: 0x40,
  FAULT: 0x48,
  HOLDS: 0x50,
} as const;

export const DMA_OP_NOP = 0;
export const DMA_OP_COPY = 1;
export const DMA_OP_FILL = 2;
export const DMA_OP_SUM = 3;

export const DMA_STATUS_DONE = 1 << 0;
export const DMA_STATUS_ERROR = 1 << 1;
export const DMA_STATUS_HOLE = 1 << 2;
export const DMA_STATUS_DEVICE = 1 << 3;
export const DMA_STATUS_RIGHTS = 1 << 4;
export const DMA_STATUS_BADREQ = 1 << 5;
export const DMA_STATUS_HOST = 1 << 6;

const CAUSE_BIT: Record<DmaError, number> = {
  nomap: DMA_STATUS_HOLE,
  device: DMA_STATUS_DEVICE,
  rights: DMA_STATUS_RIGHTS,
  host: DMA_STATUS_HOST,
};
const OPS: Record<number, DmaOp> = { [DMA_OP_COPY]: 'copy', [DMA_OP_FILL]: 'fill', [DMA_OP_SUM]: 'sum' };

const TWO_32 = 2 ** 32;
/** Guest-physical addresses are 48 bits wide (a register SRC or DST the op ignores may hold anything). */
const GPA_LIMIT = 2 ** 48;
const REGS = 11;

export class DmaEngine implements MmioDevice, SavedDevice {
  readonly name = 'nestvm-dma';
  readonly size = 0x1000;
  /* Register r is lo = regs[2r], hi = regs[2r + 1]. */
  private readonly regs = new Uint32Array(2 * REGS);

  constructor(
    private readonly host: DeviceHost,
    readonly gpa: number,
  ) {
    this.set(DMA_REG.ID, DMA_ID, DMA_VERSION);
  }

  read(offset: number, size: number): number {
    const r = offset >>> 3;
    if (r >= REGS) return 0;
    const lo = this.regs[2 * r];
    const hi = this.regs[2 * r + 1];
    if (size === 8 && offset % 8 === 0) return hi * TWO_32 + lo;
    const half = offset & 4 ? hi : lo;
    const shift = (offset & 3) * 8;
    return size >= 4 ? half : (half >>> shift) & ((1 << (size * 8)) - 1);
  }

  write(offset: number, size: number, value: number): void {
    const r = offset >>> 3;
    if (r >= REGS || size < 4) return;
    const reg = r * 8;
    if (
      reg !== DMA_REG.SRC &&
      reg !== DMA_REG.DST &&
      reg !== DMA_REG.LEN &&
      reg !== DMA_REG.VALUE &&
      reg !== DMA_REG.OP
    )
      return; // read-only
    if (size === 8 && offset % 8 === 0) {
      this.regs[2 * r] = value % TWO_32;
      this.regs[2 * r + 1] = Math.floor(value / TWO_32);
    } else {
      this.regs[2 * r + (offset & 4 ? 1 : 0)] = value;
    }
    if (reg === DMA_REG.OP && (offset & 4) === 0) this.start(); // a store to OP's high half only sets it
  }

  /** The register file as words: register r is words 2r (low half) and 2r + 1 (high half). */
  saveState(): number[] {
    return Array.from(this.regs);
  }

  loadState(words: readonly number[]): boolean {
    if (words.length !== this.regs.length) return false;
    this.regs.set(words);
    return true;
  }

  /** A register's value (test and TUI view); addresses stay below 2^53. */
  reg(offset: number): number {
    return this.read(offset & ~7, 8);
  }

  private set(offset: number, lo: number, hi = 0): void {
    this.regs[offset >>> 2] = lo >>> 0;
    this.regs[(offset >>> 2) + 1] = hi >>> 0;
  }

  /* OP was written: run the operation and latch its outcome. */
  private start(): void {
    const code = this.regs[DMA_REG.OP >>> 2];
    const badHigh = this.regs[(DMA_REG.OP >>> 2) + 1] !== 0;
    if (code === DMA_OP_NOP && !badHigh) return this.latch(0, 0, 0, 0, 0);
    const op = badHigh ? undefined : OPS[code];
    const src = this.reg(DMA_REG.SRC);
    const dst = this.reg(DMA_REG.DST);
    const len = this.reg(DMA_REG.LEN);
    if (
      op === undefined ||
      len > DMA_MAX_LEN ||
      (op !== 'fill' && src + len > GPA_LIMIT) ||
      (op !== 'sum' && dst + len > GPA_LIMIT)
    ) {
      return this.latch(DMA_STATUS_ERROR | DMA_STATUS_BADREQ, 0, 0, 0, 0);
    }
    const value = this.regs[DMA_REG.VALUE >>> 2] & 0xff;
    const out = transfer(this.host, { op, src, dst, len, value });
    const status = out.error === null ? DMA_STATUS_DONE : DMA_STATUS_ERROR | CAUSE_BIT[out.error];
    this.latch(status, out.done, out.sum, out.error === null ? 0 : out.faultGpa, out.holds);
  }

  private latch(status: number, done: number, sum: number, fault: number, holds: number): void {
    this.set(DMA_REG.STATUS, status);
    this.set(DMA_REG.DONE, done);
    this.set(DMA_REG.RESULT, sum);
    this.set(DMA_REG.FAULT, fault % TWO_32, Math.floor(fault / TWO_32));
    this.set(DMA_REG.HOLDS, holds);
  }
}
