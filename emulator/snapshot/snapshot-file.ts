/*
 * The snapshot file: one Snapshot (snapshot.ts) and the name of its guest, as bytes. Version 2
 * (version 1 held one vCPU's registers in a REGS section where CPUS now stands).
 * Every number is little-endian; the README's "Snapshot files" section draws the same layout.
 *
 *   offset  size  field
 *   0       8     magic "NESTVMSS"
 *   8       4     version (2)
 *   12      4     architecture: 1 x86-64, 2 arm64
 *   16      4     flags: bit 0 set for a diff snapshot
 *   20      4     number of sections (5)
 *   24      8     guest RAM bytes
 *   32      8     instructions begun when it was taken
 *   40      32    the base's id (a diff), or zeros (a full snapshot)
 *   72      ...   sections, each: tag (4 ASCII bytes), length (8), then `length` bytes
 *                   GUES  the guest's name as `run` was given it (UTF-8)
 *                   CPUS  vCPU count (4), quantum (8), the vCPU that had the last turn (4),
 *                         what it is still owed of its quantum (8), then per vCPU by id: power
 *                         state (1: 0 on, 1 off, 2 halted), instructions begun (8), turns (8),
 *                         register count (4), then per register: name length (1), name (ASCII),
 *                         value length (1), value bytes (guest-state.ts's raw form); a quantum or
 *                         an owed count of all ones (2^64 - 1) is unbounded (one vCPU)
 *                   DEVS  count (4), then per device: name length (1), name, word count (4),
 *                         the words (4 each)
 *                   CONS  the console text so far, one byte per character (Latin-1)
 *                   PAGE  count (4), the page indices (4 each, ascending), then 4096 bytes per page
 *   end-32  32    SHA-256 of every byte before it
 *
 * A snapshot's id is that final SHA-256 (hex): a diff names its base by it, and since encoding is
 * deterministic, the same guest state always encodes to the same bytes and the same id.
 *
 * decodeSnapshot checks, in this order, and throws a SnapshotFileError naming the first failure:
 * the length (a header, a checksum), the magic, the version, the checksum, the architecture, then
 * every section's bounds and contents. So a truncated or corrupt file, another version's, or
 * (through the caller's check of `arch`) the other architecture's, is a one-line error.
 */
import { createHash } from 'node:crypto';
import { PAGE_SIZE } from '../../mmu/addr.js';
import type { Arch } from '../arch.js';
import { MAX_CPUS, type PowerState, type SchedulePosition } from '../vcpu-set.js';
import type { GuestState, SavedDeviceState, SavedRegister, SavedVcpu } from './guest-state.js';
import type { Snapshot } from './snapshot.js';

export const SNAPSHOT_MAGIC = 'NESTVMSS';
export const SNAPSHOT_VERSION = 2;
const HEADER = 72;
const DIGEST = 32;
const ARCH_CODE: Record<Arch, number> = { x86_64: 1, arm64: 2 };
const TAGS = ['GUES', 'CPUS', 'DEVS', 'CONS', 'PAGE'] as const;
const POWER: readonly PowerState[] = ['on', 'off', 'halted'];

export class SnapshotFileError extends Error {
  override name = 'SnapshotFileError';
}

/** A snapshot as a file holds it: the snapshot, its guest's name and its id. */
export interface SnapshotFile {
  readonly snapshot: Snapshot;
  readonly guest: string;
  /** SHA-256 of the file's bytes before the checksum (hex). */
  readonly id: string;
}

/* ---- writing ---- */

class Writer {
  private readonly parts: Uint8Array[] = [];
  u8(v: number): this {
    this.parts.push(Uint8Array.of(v));
    return this;
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.parts.push(b);
    return this;
  }
  u64(v: number): this {
    return this.u32(v % 2 ** 32).u32(Math.floor(v / 2 ** 32));
  }
  /** A count, or all ones for Infinity (unbounded). */
  count(v: number): this {
    return v === Infinity ? this.u32(0xffff_ffff).u32(0xffff_ffff) : this.u64(v);
  }
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  short(text: string): this {
    const b = new TextEncoder().encode(text);
    return this.u8(b.length).bytes(b);
  }
  done(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

function section(tag: string, body: Uint8Array): Uint8Array {
  return new Writer().bytes(new TextEncoder().encode(tag)).u64(body.length).bytes(body).done();
}

function cpusBody(at: SchedulePosition, vcpus: readonly SavedVcpu[]): Uint8Array {
  const w = new Writer().u32(vcpus.length).count(at.quantum).u32(at.current).count(at.owed);
  for (const v of vcpus) {
    w.u8(POWER.indexOf(v.power)).u64(v.insns).u64(v.turns).u32(v.registers.length);
    for (const r of v.registers) w.short(r.name).u8(r.value.length).bytes(r.value);
  }
  return w.done();
}

function devicesBody(devs: readonly SavedDeviceState[]): Uint8Array {
  const w = new Writer().u32(devs.length);
  for (const d of devs) {
    w.short(d.name).u32(d.words.length);
    for (const word of d.words) w.u32(word);
  }
  return w.done();
}

function pagesBody(s: Snapshot): Uint8Array {
  const w = new Writer().u32(s.pages.length);
  for (const p of s.pages) w.u32(p);
  return w.bytes(s.data).done();
}

/** The file's bytes for `snapshot` of the guest named `guest`, and its id. */
export function encodeSnapshot(snapshot: Snapshot, guest: string): { bytes: Uint8Array; id: string } {
  const head = new Writer()
    .bytes(new TextEncoder().encode(SNAPSHOT_MAGIC))
    .u32(SNAPSHOT_VERSION)
    .u32(ARCH_CODE[snapshot.arch])
    .u32(snapshot.base === null ? 0 : 1)
    .u32(TAGS.length)
    .u64(snapshot.memBytes)
    .u64(snapshot.state.instructions)
    .bytes(snapshot.base === null ? new Uint8Array(DIGEST) : Buffer.from(snapshot.base, 'hex'));
  const body = Buffer.concat([
    head.done(),
    section('GUES', new TextEncoder().encode(guest)),
    section('CPUS', cpusBody(snapshot.state.schedule, snapshot.state.vcpus)),
    section('DEVS', devicesBody(snapshot.state.devices)),
    section('CONS', Buffer.from(snapshot.state.console, 'latin1')),
    section('PAGE', pagesBody(snapshot)),
  ]);
  const digest = createHash('sha256').update(body).digest();
  return { bytes: Buffer.concat([body, digest]), id: digest.toString('hex') };
}

/* ---- reading ---- */

class Reader {
  private at = 0;
  private readonly view: DataView;
  constructor(
    private readonly b: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  private need(n: number): number {
    if (this.at + n > this.b.length) throw new SnapshotFileError(`its ${this.what} section is cut short`);
    const at = this.at;
    this.at += n;
    return at;
  }
  u8(): number {
    return this.b[this.need(1)];
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  u64(): number {
    const lo = this.u32();
    return lo + this.u32() * 2 ** 32;
  }
  /** Writer.count's form: all ones is Infinity; other counts past 2^53 are corrupt. */
  count(): number {
    const lo = this.u32();
    const hi = this.u32();
    if (lo === 0xffff_ffff && hi === 0xffff_ffff) return Infinity;
    if (hi >= 2 ** 21) throw new SnapshotFileError(`its ${this.what} section holds a count past 2^53`);
    return lo + hi * 2 ** 32;
  }
  bytes(n: number): Uint8Array {
    const at = this.need(n);
    return new Uint8Array(this.b.subarray(at, at + n)); // a copy (a Buffer's slice would be a view)
  }
  short(): string {
    return new TextDecoder().decode(this.bytes(this.u8()));
  }
  end(): void {
    if (this.at !== this.b.length)
      throw new SnapshotFileError(`its ${this.what} section has bytes left over`);
  }
}

/* The header's fields, checked in the essay's order (the checksum by the caller). */
function readHeader(b: Uint8Array): {
  arch: Arch;
  diff: boolean;
  memBytes: number;
  insns: number;
  base: string;
} {
  const magic = new TextDecoder().decode(b.subarray(0, 8));
  if (magic !== SNAPSHOT_MAGIC) throw new SnapshotFileError('it is not a nestvm snapshot (bad magic)');
  const r = new Reader(b.subarray(8, HEADER), 'header');
  const version = r.u32();
  if (version !== SNAPSHOT_VERSION)
    throw new SnapshotFileError(
      `it is a version ${version} snapshot; this nestvm reads version ${SNAPSHOT_VERSION}`,
    );
  const code = r.u32();
  const arch = (Object.keys(ARCH_CODE) as Arch[]).find((a) => ARCH_CODE[a] === code);
  if (arch === undefined) throw new SnapshotFileError(`its architecture code ${code} is unknown`);
  const flags = r.u32();
  if (r.u32() !== TAGS.length || flags > 1) throw new SnapshotFileError('its header is corrupt');
  const memBytes = r.u64();
  const insns = r.u64();
  const base = Buffer.from(r.bytes(DIGEST)).toString('hex');
  if (memBytes === 0 || memBytes % PAGE_SIZE !== 0)
    throw new SnapshotFileError('its guest RAM size is corrupt');
  return { arch, diff: flags === 1, memBytes, insns, base };
}

function readSections(b: Uint8Array): Map<string, Uint8Array> {
  const r = new Reader(b, 'sections');
  const out = new Map<string, Uint8Array>();
  for (const tag of TAGS) {
    const got = new TextDecoder().decode(r.bytes(4));
    if (got !== tag) throw new SnapshotFileError(`its section ${got} stands where ${tag} belongs`);
    out.set(tag, r.bytes(r.u64()));
  }
  r.end();
  return out;
}

function readRegisters(r: Reader): SavedRegister[] {
  return Array.from({ length: r.u32() }, () => ({ name: r.short(), value: r.bytes(r.u8()) }));
}

function readCpus(b: Uint8Array): { schedule: SchedulePosition; vcpus: SavedVcpu[] } {
  const r = new Reader(b, 'CPUS');
  const count = r.u32();
  const schedule = { quantum: r.count(), current: r.u32(), owed: r.count() };
  if (count === 0 || count > MAX_CPUS) throw new SnapshotFileError(`its vCPU count ${count} is corrupt`);
  const vcpus = Array.from({ length: count }, () => {
    const power = POWER[r.u8()];
    if (power === undefined) throw new SnapshotFileError('its CPUS section holds an unknown power state');
    return { power, insns: r.count(), turns: r.count(), registers: readRegisters(r) };
  });
  r.end();
  return { schedule, vcpus };
}

function readDevices(b: Uint8Array): SavedDeviceState[] {
  const r = new Reader(b, 'DEVS');
  const out = Array.from({ length: r.u32() }, () => {
    const name = r.short();
    return { name, words: Array.from({ length: r.u32() }, () => r.u32()) };
  });
  r.end();
  return out;
}

function readPages(b: Uint8Array, memBytes: number): { pages: Uint32Array; data: Uint8Array } {
  const r = new Reader(b, 'PAGE');
  const count = r.u32();
  const pages = Uint32Array.from({ length: count }, () => r.u32());
  pages.forEach((p, i) => {
    if (p >= memBytes / PAGE_SIZE || (i > 0 && p <= pages[i - 1]))
      throw new SnapshotFileError(`its page list is corrupt (page ${p})`);
  });
  const data = r.bytes(count * PAGE_SIZE);
  r.end();
  return { pages, data };
}

/** The snapshot a file's bytes hold; a SnapshotFileError saying, in one phrase, why not. */
export function decodeSnapshot(b: Uint8Array): SnapshotFile {
  if (b.length < HEADER + DIGEST) throw new SnapshotFileError('it is truncated (shorter than a header)');
  const h = readHeader(b);
  const body = b.subarray(0, b.length - DIGEST);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(b.subarray(b.length - DIGEST)))
    throw new SnapshotFileError('its checksum does not match: it is truncated or corrupt');
  const s = readSections(body.subarray(HEADER));
  const state: GuestState = {
    arch: h.arch,
    instructions: h.insns,
    ...readCpus(s.get('CPUS')!),
    devices: readDevices(s.get('DEVS')!),
    console: Buffer.from(s.get('CONS')!).toString('latin1'),
  };
  const snapshot: Snapshot = {
    arch: h.arch,
    memBytes: h.memBytes,
    state,
    ...readPages(s.get('PAGE')!, h.memBytes),
    base: h.diff ? h.base : null,
  };
  return { snapshot, guest: new TextDecoder().decode(s.get('GUES')!), id: digest.toString('hex') };
}
