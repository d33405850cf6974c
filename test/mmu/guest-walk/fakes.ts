/*
 * Test fakes for the guest walkers: a flat "guest RAM" (identity nested translation), a nested
 * walker whose translation is a non-identity offset and can be told to miss, and two tiny reference
 * page-table builders (x86-64 and arm64) that install mappings the way a guest kernel would.
 */

import { gpa, hpa, type Gpa } from '../../../mmu/addr.js';
import {
  nestedMiss,
  type GuestPhysAccess,
  type NestedMiss,
  type NestedStep,
  type NestedWalk,
  type NestedWalker,
  type Word64,
} from '../../../mmu/guest-walk/index.js';
import type { AccessKind } from '../../../mmu/prot.js';

const TWO32 = 0x1_0000_0000;

/** Guest RAM at guest-physical [base, base + bytes), read and written directly (identity nesting). */
export class FlatRam implements GuestPhysAccess {
  readonly u32: Uint32Array;
  reads = 0;
  writes: { gpa: number; value: number }[] = [];
  constructor(
    readonly base: number,
    readonly bytes: number,
  ) {
    this.u32 = new Uint32Array(bytes / 4);
  }
  private index(a: number): number {
    if (a < this.base || a + 4 > this.base + this.bytes)
      throw new Error(`FlatRam: 0x${a.toString(16)} outside RAM`);
    return (a - this.base) / 4;
  }
  read64(a: Gpa, out: Word64): NestedMiss | null {
    this.reads++;
    const i = this.index(a);
    out.lo = this.u32[i];
    out.hi = this.u32[i + 1];
    return null;
  }
  write32(a: Gpa, value: number): NestedMiss | null {
    this.writes.push({ gpa: a, value: value >>> 0 });
    this.u32[this.index(a)] = value >>> 0;
    return null;
  }
  /* direct access for builders and assertions */
  lo(a: number): number {
    return this.u32[this.index(a)];
  }
  hi(a: number): number {
    return this.u32[this.index(a) + 1];
  }
  set(a: number, lo: number, hi: number): void {
    const i = this.index(a);
    this.u32[i] = lo >>> 0;
    this.u32[i + 1] = hi >>> 0;
  }
  snapshot(): Uint32Array {
    return this.u32.slice();
  }
  /** Whether RAM still equals a snapshot (a byte compare, fast on megabytes). */
  unchangedSince(snap: Uint32Array): boolean {
    return Buffer.from(this.u32.buffer).equals(Buffer.from(snap.buffer));
  }
}

/*
 * Nested translation hpa = gpa + offset, reported as a 4-level walk with synthetic entries; any
 * guest frame in `missing` is not present at nested level 1 (reads and writes), any in `readOnly`
 * fails for writes. `host` is host RAM: guest RAM [base, base+bytes) lives at [base+offset, ...).
 */
export class OffsetNested implements NestedWalker {
  readonly missing = new Set<number>();
  readonly readOnly = new Set<number>();
  readonly host: { u32: Uint32Array };
  walks = 0;
  constructor(
    readonly base: number,
    readonly bytes: number,
    readonly offset: number,
  ) {
    this.host = { u32: new Uint32Array((base + offset + bytes) / 4) };
  }
  walk(g: Gpa, access: AccessKind): NestedWalk {
    this.walks++;
    const steps: NestedStep[] = [];
    const frame = Math.floor(g / 4096);
    for (let level = 4; level >= 1; level--) {
      const idx = Math.floor(g / 2 ** (12 + 9 * (level - 1))) % 512;
      const pte = hpa(0x10_0000 * level + idx * 8); // a made-up table location per level
      const leafBlocked =
        level === 1 && (this.missing.has(frame) || (access === 'write' && this.readOnly.has(frame)));
      const lo = leafBlocked ? 0 : (level === 1 ? (g + this.offset) % TWO32 : 0x5000 * level) | 0x7;
      steps.push({ level, pte, lo: lo >>> 0, hi: 0 });
      if (leafBlocked)
        return { steps, fault: { reason: this.missing.has(frame) ? 'not-present' : 'rights', level } };
    }
    const inRam = g >= this.base && g < this.base + this.bytes;
    if (!inRam) return { steps, fault: { reason: 'not-present', level: 1 } };
    return { steps, hpa: hpa(g + this.offset) };
  }
  /** GuestPhysAccess through this translation (the fill hook's job, done the slow way). */
  access(): GuestPhysAccess & { writes: number } {
    const walk = (g: Gpa, a: AccessKind) => this.walk(g, a);
    const host = this.host;
    return {
      writes: 0,
      read64(g, out) {
        const w = walk(g, 'read');
        if (w.hpa === undefined) return nestedMiss(g, 'read');
        out.lo = host.u32[w.hpa / 4];
        out.hi = host.u32[w.hpa / 4 + 1];
        return null;
      },
      write32(g, value) {
        const w = walk(g, 'write');
        if (w.hpa === undefined) return nestedMiss(g, 'write');
        this.writes++;
        host.u32[w.hpa / 4] = value >>> 0;
        return null;
      },
    };
  }
  /** A FlatRam-like view for the builders: writes land in host RAM at gpa + offset. */
  builderRam(): TableRam {
    const u32 = this.host.u32;
    const off = this.offset;
    return {
      lo: (a) => u32[(a + off) / 4],
      hi: (a) => u32[(a + off) / 4 + 1],
      set: (a, lo, hi) => {
        u32[(a + off) / 4] = lo >>> 0;
        u32[(a + off) / 4 + 1] = hi >>> 0;
      },
    };
  }
}

/** What the builders need of guest RAM. */
export interface TableRam {
  lo(a: number): number;
  hi(a: number): number;
  set(a: number, lo: number, hi: number): void;
}

const loOf = (a: number): number => (a % TWO32) >>> 0;
const hiOf = (a: number): number => Math.floor(a / TWO32);

/*
 * x86-64 reference builder. Tables are allocated bump-style from `next`. Table entries get
 * P|RW|US (the most permissive) unless the caller edits them afterwards via entryAt().
 */
export class X86Builder {
  readonly root: number;
  constructor(
    readonly ram: TableRam,
    private next: number,
  ) {
    this.root = this.alloc();
  }
  alloc(): number {
    const t = this.next;
    this.next += 4096;
    for (let i = 0; i < 512; i++) this.ram.set(t + i * 8, 0, 0);
    return t;
  }
  /** Guest-physical address of the entry at `level` for 48-bit va (creating tables above it). */
  entryAt(va: number, level: number): number {
    let table = this.root;
    for (let l = 4; l > level; l--) {
      const e = table + idx(va, l) * 8;
      let lo = this.ram.lo(e);
      if ((lo & 1) === 0) {
        const t = this.alloc();
        lo = (loOf(t) | 0x7) >>> 0;
        this.ram.set(e, lo, hiOf(t));
      }
      table = (this.ram.hi(e) & 0xfffff) * TWO32 + ((this.ram.lo(e) & 0xffff_f000) >>> 0);
    }
    return table + idx(va, level) * 8;
  }
  /** Map va -> pa with a leaf at `level` (1: 4 KiB, 2: 2 MiB, 3: 1 GiB); `flags` = low-word bits, P implied. */
  map(va: number, pa: number, level: number, flags: number, xd = false): number {
    const e = this.entryAt(va, level);
    const ps = level > 1 ? 0x80 : 0;
    this.ram.set(e, (loOf(pa) | flags | ps | 1) >>> 0, (hiOf(pa) | (xd ? 0x8000_0000 : 0)) >>> 0);
    return e;
  }
}

const idx = (va: number, level: number): number => Math.floor(va / 2 ** (12 + 9 * (level - 1))) % 512;

/*
 * arm64 stage-1 reference builder (4 KiB granule). `start` is the walk's first level (0 for
 * T0SZ 16); arm levels count up: start .. 3. Table descriptors are plain (no restrictions).
 */
export class Arm64Builder {
  readonly root: number;
  constructor(
    readonly ram: TableRam,
    private next: number,
    readonly start = 0,
  ) {
    this.root = this.alloc();
  }
  alloc(): number {
    const t = this.next;
    this.next += 4096;
    for (let i = 0; i < 512; i++) this.ram.set(t + i * 8, 0, 0);
    return t;
  }
  entryAt(va: number, level: number): number {
    let table = this.root;
    for (let l = this.start; l < level; l++) {
      const e = table + aidx(va, l) * 8;
      if ((this.ram.lo(e) & 3) !== 3) {
        const t = this.alloc();
        this.ram.set(e, (loOf(t) | 3) >>> 0, hiOf(t));
      }
      table = (this.ram.hi(e) & 0xffff) * TWO32 + ((this.ram.lo(e) & 0xffff_f000) >>> 0);
    }
    return table + aidx(va, level) * 8;
  }
  /* leaf: level 3 page (bits 1:0 = 11) or level 1/2 block (01); loFlags/hiFlags are attribute bits */
  map(va: number, pa: number, level: number, loFlags: number, hiFlags = 0): number {
    const e = this.entryAt(va, level);
    this.ram.set(e, (loOf(pa) | loFlags | (level === 3 ? 3 : 1)) >>> 0, (hiOf(pa) | hiFlags) >>> 0);
    return e;
  }
}

const aidx = (va: number, level: number): number => Math.floor(va / 2 ** (12 + 9 * (3 - level))) % 512;

export const G = gpa;
