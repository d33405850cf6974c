/*
 * The memory block a uc_reg_read/uc_reg_write call passes for one register (layouts in
 * registers.ts): a plain uint64 at +0, a uc_x86_msr {rid; value at +8}, or a uc_arm64_cp_reg
 * {crn, crm, op0, op1, op2; val at +24}. One block is reused for every call of an engine, so a
 * register access allocates nothing (except a bigint for full-width reads).
 */
import { UC_ARM64_REG_CP_REG, UC_X86_REG_MSR, type RegSpec } from './registers.js';

const TWO_32 = 2 ** 32;

export class RegisterBlock {
  /* 32 bytes: the largest block (uc_arm64_cp_reg) is 32. */
  readonly bytes = new Uint8Array(32);
  private readonly view = new DataView(this.bytes.buffer);

  /** Clear the block, fill in the selector fields for `s`, and return the id to pass. */
  select(s: RegSpec): number {
    this.bytes.fill(0);
    const v = this.view;
    switch (s.kind) {
      case 'plain':
      case 'pstate-field':
      case 'wide':
        return s.id;
      case 'msr':
        v.setUint32(0, s.msr, true);
        return UC_X86_REG_MSR;
      case 'cp':
        v.setUint32(0, s.crn, true);
        v.setUint32(4, s.crm, true);
        v.setUint32(8, s.op0, true);
        v.setUint32(12, s.op1, true);
        v.setUint32(16, s.op2, true);
        return UC_ARM64_REG_CP_REG;
    }
  }

  /* Byte offset of the value inside the block. */
  private static valueAt(s: RegSpec): number {
    return s.kind === 'msr' ? 8 : s.kind === 'cp' ? 24 : 0;
  }

  /** The bytes of the value just read, as wide as the register (a copy; a pstate-field is masked). */
  raw(s: RegSpec): Uint8Array {
    if (s.kind === 'pstate-field') {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setUint32(0, this.halves(s)[0], true);
      return out;
    }
    const at = RegisterBlock.valueAt(s);
    return this.bytes.slice(at, at + (s.kind === 'wide' ? s.bytes : 8));
  }

  /** Store raw value bytes to write (as wide as the register; shorter is zero-extended). */
  storeRaw(s: RegSpec, value: Uint8Array): void {
    const width = s.kind === 'wide' ? s.bytes : 8;
    if (value.length > width)
      throw new RangeError(`a register value of ${value.length} bytes is wider than ${width}`);
    this.bytes.set(value, RegisterBlock.valueAt(s));
  }

  /* The low and high 32 bits of the value just read (a pstate-field keeps only its mask). */
  halves(s: RegSpec): [number, number] {
    const at = RegisterBlock.valueAt(s);
    const lo = this.view.getUint32(at, true);
    if (s.kind === 'pstate-field') return [(lo & s.mask) >>> 0, 0];
    return [lo, this.view.getUint32(at + 4, true)];
  }

  /** The value read, as a number (exact below 2^53). */
  number(s: RegSpec): number {
    const [lo, hi] = this.halves(s);
    return hi * TWO_32 + lo;
  }

  /** The value read, full width. */
  bigint(s: RegSpec): bigint {
    const [lo, hi] = this.halves(s);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Store the value to write (negative numbers and bigints wrap to 64 bits). */
  store(s: RegSpec, value: number | bigint): void {
    const at = RegisterBlock.valueAt(s);
    if (typeof value === 'bigint' || value < 0 || !Number.isSafeInteger(value)) {
      this.view.setBigUint64(at, BigInt.asUintN(64, BigInt(value)), true);
    } else {
      this.view.setUint32(at, (value % TWO_32) >>> 0, true);
      this.view.setUint32(at + 4, Math.floor(value / TWO_32), true);
    }
  }
}
