/*
 * Random guest and nested table layouts for lab `walk2d`, built in a real Machine, and nestvm's
 * own answer for every query (walkTwoDimensional over the Machine's GPT and host RAM).
 *
 * One layout is one x86-64 Machine (4 MiB of guest RAM, nested format ept, npt or s2):
 *
 *   guest-physical  0x10_0000  the touch program: `mov al, [gpa]` for each page to make present,
 *                              then `hlt` (guest paging stays off while it runs)
 *                   0x20_0000  guest page tables (PML4, and a PDPT/PD/PT chain per query)
 *                   0x30_0000  guest data pages
 *
 * The loader writes the tables into guest RAM, which makes no nested entry; the program's reads
 * are nested faults that map exactly the touched pages, so a page left untouched is a hole in the
 * nested tables. A layout may also map the data region back read-only (unmap, map with r-x, then
 * fault the touched pages in again), so that writes there fail in the nested dimension.
 *
 * Each query is one gva with an access kind and privilege, walked with CR3 = the PML4, CR0.WP = 1,
 * EFER.NXE = 1. Its kind says what the layout arranges for it:
 *
 *   4k            every entry present, a 4 KiB guest page
 *   large         a 2 MiB (PDE.PS) or 1 GiB (PDPTE.PS) guest page
 *   guest-fault   a guest entry not present (junk in its other bits), or missing R/W, U/S or with XD
 *   nested-fault  a guest table page or the data page left untouched, a data gpa beyond RAM, or
 *                 a write to a read-only nested page
 *
 * What the student's code gets is plain data: the non-zero pages of host RAM, the nested format
 * and root frame, the guest's paging registers (the harness, harness.mjs, turns it into read-only
 * accessors). The expected answer is computed here, in the grader.
 */
import {
  FORMATS,
  Machine,
  PROT_READ,
  PROT_EXEC,
  RAM_REGION,
  gptNestedWalker,
  gpa as toGpa,
  gva as toGva,
  walkTwoDimensional,
  type AccessKind,
  type FormatName,
  type GuestImage,
  type NestedVm,
  type TwoDimWalk,
} from '../../index.js';
import type { Rng } from '../framework/lab-api.js';

export type QueryKind = '4k' | 'large' | 'guest-fault' | 'nested-fault';

export interface Query {
  readonly gva: number;
  readonly access: AccessKind;
  readonly user: boolean;
}

/** What the student's function is given (structured-cloneable). */
export interface LayoutData {
  readonly format: FormatName;
  readonly rootFrame: number;
  readonly guest: { readonly cr3: number; readonly wp: boolean; readonly nxe: boolean };
  /** Host-physical page address -> its 4096 bytes, for every page of host RAM that is not zero. */
  readonly pages: Map<number, Uint8Array>;
}

export interface ExpectedRef {
  readonly dim: 'nested' | 'guest';
  readonly level: number;
  readonly hpa: number;
  readonly value: bigint;
}

export type ExpectedResult =
  | { readonly kind: 'ok'; readonly gpa: number; readonly hpa: number }
  | { readonly kind: 'guest-fault'; readonly level: number; readonly reason: string }
  | { readonly kind: 'nested-fault'; readonly gpa: number; readonly level: number; readonly reason: string };

export interface Expected {
  readonly refs: readonly ExpectedRef[];
  readonly result: ExpectedResult;
}

export interface BuiltLayout {
  readonly data: LayoutData;
  readonly queries: readonly { readonly query: Query; readonly expected: Expected }[];
}

const MEM = 4 * 1024 * 1024;
const CODE = 0x10_0000;
const TABLES = 0x20_0000;
const DATA = 0x30_0000;
const PAGE = 4096;
export const GUEST_CFG = { cr3: TABLES, wp: true, nxe: true } as const;

/* x86-64 guest entry bits (low word; XD is bit 31 of the high word). */
const P = 1;
const RW = 2;
const US = 4;
const A = 0x20;
const PS = 0x80;
const XD_HI = 0x8000_0000;

/** The guest tables being built: page gpa -> 512 entries as (lo, hi) words. */
class GuestTables {
  readonly pages = new Map<number, Uint32Array>();
  private nextTable = 0;
  private nextData = 0;
  constructor(private readonly rng: Rng) {
    this.table(); // the PML4, at TABLES
  }
  table(): number {
    const at = TABLES + this.nextTable++ * PAGE;
    this.pages.set(at, new Uint32Array(1024));
    return at;
  }
  data(): number {
    return DATA + this.nextData++ * PAGE;
  }
  set(table: number, index: number, lo: number, hi = 0): void {
    const words = this.pages.get(table)!;
    words[index * 2] = lo >>> 0;
    words[index * 2 + 1] = hi >>> 0;
  }
  get(table: number, index: number): [number, number] {
    const words = this.pages.get(table)!;
    return [words[index * 2], words[index * 2 + 1]];
  }
  /** Flags of a present entry that grants everything (Accessed at random, as a used entry has). */
  flags(): number {
    return P | RW | US | (this.rng.int(2) ? A : 0);
  }
}

interface Chain {
  readonly gva: number;
  /** Table page and index per guest level 4..1. */
  readonly slots: readonly [number, number][];
  readonly data: number;
}

/* A gva whose PML4 index is `l4`, and a full 4-level chain to a fresh data page. */
function chain(t: GuestTables, rng: Rng, l4: number): Chain {
  const idx = [l4, rng.int(512), rng.int(512), rng.int(512)];
  const gva = ((idx[0] * 512 + idx[1]) * 512 + idx[2]) * 512 * PAGE + idx[3] * PAGE + rng.int(PAGE);
  const slots: [number, number][] = [];
  let table = TABLES;
  for (let i = 0; i < 4; i++) {
    slots.push([table, idx[i]]);
    const next = i < 3 ? t.table() : t.data();
    t.set(table, idx[i], next | t.flags());
    table = next;
  }
  return { gva, slots, data: table };
}

const ACCESSES: readonly AccessKind[] = ['read', 'write', 'exec'];

interface Planned {
  readonly query: Query;
  /** Pages the touch program must not touch (holes). */
  readonly holes: readonly number[];
  /** Pages it must touch beyond the chain's own. */
  readonly touch: readonly number[];
}

/* Arrange the chain for a query of `kind`; returns the query and the pages to leave out or add. */
function plan(kind: QueryKind, t: GuestTables, rng: Rng, c: Chain): Planned {
  const query = { gva: c.gva, access: rng.pick(ACCESSES), user: rng.int(2) === 1 };
  if (kind === '4k') return { query, holes: [], touch: [] };
  if (kind === 'large') return planLarge(t, rng, c, query);
  if (kind === 'guest-fault') return planGuestFault(t, rng, c, query);
  const way = rng.int(4);
  if (way === 0) return { query, holes: [c.slots[1 + rng.int(3)][0]], touch: [] }; // a table page
  if (way === 1) return { query, holes: [c.data], touch: [] };
  if (way === 2) {
    const far = 0x4000_0000 + rng.int(0x1000) * PAGE * 512; // beyond RAM: higher nested levels miss
    const [table, index] = c.slots[3];
    t.set(table, index, (far % 2 ** 32) | t.flags(), Math.floor(far / 2 ** 32));
    return { query, holes: [], touch: [] };
  }
  return { query: { ...query, access: 'write' }, holes: [], touch: [] }; // the data region is read-only
}

function planLarge(t: GuestTables, rng: Rng, c: Chain, query: Query): Planned {
  const off = c.gva % (2 * 1024 * 1024);
  if (rng.int(2) === 0) {
    const [table, index] = c.slots[2]; // the PDE: a 2 MiB page at TABLES
    t.set(table, index, TABLES | PS | t.flags());
    return { query, holes: [], touch: [TABLES + off - (off % PAGE)] };
  }
  const small = (c.gva % (1024 * 1024 * 1024)) % MEM; // keep the 1 GiB page's offset inside RAM
  const gva = c.gva - (c.gva % (1024 * 1024 * 1024)) + small;
  const [table, index] = c.slots[1]; // the PDPTE: a 1 GiB page at 0
  t.set(table, index, 0 | PS | t.flags());
  return { query: { ...query, gva }, holes: [], touch: [small - (small % PAGE)] };
}

function planGuestFault(t: GuestTables, rng: Rng, c: Chain, query: Query): Planned {
  const level = rng.range(1, 4);
  const [table, index] = c.slots[4 - level];
  const [lo, hi] = t.get(table, index);
  const way = rng.int(4);
  if (way === 0) {
    t.set(table, index, (lo & ~P) | (rng.int(2) ? 0x0ff0_0e00 : 0), hi); // not present, junk kept
    return { query, holes: [], touch: [] };
  }
  if (way === 1) {
    t.set(table, index, lo & ~RW, hi);
    return { query: { ...query, access: 'write' }, holes: [], touch: [] };
  }
  if (way === 2) {
    t.set(table, index, lo & ~US, hi);
    return { query: { ...query, user: true }, holes: [], touch: [] };
  }
  t.set(table, index, lo, hi | XD_HI);
  return { query: { ...query, access: 'exec' }, holes: [], touch: [] };
}

/* The touch program: `mov al, [gpa]` (8A 04 25 disp32) per page, then `hlt`. */
function touchProgram(pages: readonly number[]): Uint8Array {
  const code = new Uint8Array(pages.length * 7 + 1);
  const view = new DataView(code.buffer);
  pages.forEach((p, i) => {
    code.set([0x8a, 0x04, 0x25], i * 7);
    view.setUint32(i * 7 + 3, p, true);
  });
  code[pages.length * 7] = 0xf4;
  return code;
}

/** Build one layout with `kinds.length` queries, run it, and compute every expected answer. */
export function buildLayout(format: FormatName, kinds: readonly QueryKind[], rng: Rng): BuiltLayout {
  const t = new GuestTables(rng);
  const used = new Set<number>();
  const planned = kinds.map((kind) => {
    let l4 = rng.range(1, 255);
    while (used.has(l4)) l4 = rng.range(1, 255);
    used.add(l4);
    const c = chain(t, rng, l4);
    return { c, p: plan(kind, t, rng, c) };
  });
  const holes = new Set(planned.flatMap((x) => x.p.holes));
  const touched = new Set<number>([...t.pages.keys(), ...planned.map((x) => x.c.data)]);
  for (const x of planned) for (const page of x.p.touch) touched.add(page);
  const pages = [...touched].filter((p) => !holes.has(p) && p < MEM).sort((a, b) => a - b);
  const readOnlyData = kinds.includes('nested-fault') && rng.int(2) === 0;
  return runLayout(
    format,
    t,
    pages,
    readOnlyData,
    planned.map((x) => x.p.query),
  );
}

function runLayout(
  format: FormatName,
  t: GuestTables,
  touch: readonly number[],
  readOnlyData: boolean,
  queries: readonly Query[],
): BuiltLayout {
  const segments = [
    { gpa: CODE, data: touchProgram(touch), memSize: PAGE, flags: 'rx' },
    ...[...t.pages].map(([gpa, words]) => ({
      gpa,
      data: new Uint8Array(words.buffer),
      memSize: PAGE,
      flags: 'rw',
    })),
  ];
  const image: GuestImage = {
    arch: 'x86_64',
    entry: CODE,
    segments,
    symbols: [],
    origin: 'walk2d layout',
    kind: 'raw',
  };
  const machine = new Machine(image, { memBytes: MEM, format, maxInsns: 100_000 });
  try {
    const stop = machine.run();
    if (stop.reason !== 'halt')
      throw new Error(`walk2d layout: the touch program stopped with ${stop.reason}`);
    const vm = machine.vm!;
    if (readOnlyData) remapReadOnly(vm, touch);
    return {
      data: snapshot(vm, format),
      queries: queries.map((query) => ({ query, expected: expectedOf(vm, query) })),
    };
  } finally {
    machine.close();
  }
}

/* The data region mapped back read-only, its touched pages faulted in again (read). */
function remapReadOnly(vm: NestedVm, touched: readonly number[]): void {
  vm.unmapRam(DATA);
  const res = vm.vmspace.map(vm.ram, toGpa(DATA), RAM_REGION, DATA, PROT_READ | PROT_EXEC);
  if (res.kind !== 'ok') throw new Error(`walk2d layout: cannot map the data region read-only (${res.kind})`);
  for (const p of touched) if (p >= DATA && p < DATA + RAM_REGION) vm.vmspace.fault(toGpa(p), 'read');
}

function snapshot(vm: NestedVm, format: FormatName): LayoutData {
  const pages = new Map<number, Uint8Array>();
  const u32 = vm.mem.u32;
  for (let w = 0; w < u32.length; w += 1024) {
    let any = false;
    for (let i = w; i < w + 1024 && !any; i++) any = u32[i] !== 0;
    if (any) pages.set(w * 4, new Uint8Array(u32.buffer, w * 4, PAGE).slice());
  }
  return { format, rootFrame: vm.vmspace.gpt.rootFrame, guest: GUEST_CFG, pages };
}

const word = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** nestvm's own walk of a query, in the shape the student returns. */
export function expectedOf(vm: NestedVm, q: Query): Expected {
  const nested = gptNestedWalker(vm.vmspace.gpt);
  const paging = { arch: 'x86_64' as const, cfg: GUEST_CFG };
  const w: TwoDimWalk = walkTwoDimensional(paging, toGva(q.gva), q.access, q.user, nested, vm.mem);
  const refs = w.refs.map((r) =>
    r.dim === 'nested'
      ? { dim: r.dim, level: r.level, hpa: r.pte as number, value: word(r.lo, r.hi) }
      : { dim: r.dim, level: r.level, hpa: r.hpa as number, value: word(r.lo, r.hi) },
  );
  const g = w.guest;
  if (g.kind === 'guest-fault')
    return { refs, result: { kind: 'guest-fault', level: g.level, reason: g.reason } };
  if (g.kind === 'nested-miss') {
    const f = nested.walk(g.gpa, 'read').fault ?? { level: 0, reason: '?' };
    return { refs, result: { kind: 'nested-fault', gpa: g.gpa, level: f.level, reason: f.reason } };
  }
  const fin = w.final!;
  if (fin.fault !== undefined)
    return {
      refs,
      result: { kind: 'nested-fault', gpa: fin.gpa, level: fin.fault.level, reason: fin.fault.reason },
    };
  return { refs, result: { kind: 'ok', gpa: fin.gpa, hpa: fin.hpa! } };
}

/** Every format nestvm has, for the checks to cycle through. */
export const LAYOUT_FORMATS = Object.keys(FORMATS) as FormatName[];
