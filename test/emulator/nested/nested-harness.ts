/*
 * Shared harness of the nested-layer proof suites (test/emulator/nested/): the three entry formats,
 * loading sample guests by name or file, small guests assembled in place, running a Machine to its
 * end, and reading guest memory straight from host RAM (through the "ram" object's frames, which
 * touches neither the nested tables nor the dirty log).
 *
 * The format is independent of the guest's architecture (an x86-64 guest can run on stage-2
 * tables and an arm64 guest on EPT), so every suite runs every format on both architectures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_GUEST_MEM, LAYOUT, type Arch } from '../../../emulator/arch.js';
import type { GuestImage } from '../../../emulator/image.js';
import { loadGuest, loadGuestBytes, listSamples, type GuestSample } from '../../../emulator/loaders/index.js';
import { Machine, type MachineOptions, type StopReason } from '../../../emulator/machine.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { afterAll, beforeAll } from 'vitest';
import { PAGE_SIZE } from '../../../mmu/addr.js';
import { fullChecks, setFullChecks } from '../../../mmu/checks.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';

export const FORMATS: readonly FormatName[] = ['ept', 'npt', 's2'];
export const ARCHES: readonly Arch[] = ['x86_64', 'arm64'];
/** Each architecture with the formats its suites run on: EPT and nPT for x86-64, stage-2 for arm64. */
export const ARCH_FORMATS: readonly [Arch, FormatName][] = [
  ['x86_64', 'ept'],
  ['x86_64', 'npt'],
  ['arm64', 's2'],
];
export const MEM = DEFAULT_GUEST_MEM;

/** Every sample in guests/index.json (read now: samples added later are picked up). */
export const samples = (): GuestSample[] => listSamples(PACKAGE_ROOT);

export const expectedConsole = (s: GuestSample): string =>
  readFileSync(join(PACKAGE_ROOT, s.expected), 'utf8');

export const loadSample = (s: GuestSample, memBytes = MEM): Promise<GuestImage> =>
  loadGuest(join(PACKAGE_ROOT, s.path), { memBytes });

/** guests/<arch>/<file>, optionally with `.equ NAME, value` lines rewritten. */
export async function loadGuestFile(
  arch: Arch,
  file: string,
  equ: Record<string, number> = {},
  memBytes = MEM,
): Promise<GuestImage> {
  const path = join(PACKAGE_ROOT, 'guests', arch, file);
  let src = readFileSync(path, 'utf8');
  for (const [name, value] of Object.entries(equ)) {
    const re = new RegExp(`^(\\.equ\\s+${name}\\s*,\\s*)[^\\s;/]+`, 'm');
    if (!re.test(src)) throw new Error(`${file}: no .equ ${name}`);
    src = src.replace(re, `$1${value}`);
  }
  return loadGuestBytes(new TextEncoder().encode(src), path, { memBytes });
}

/** A guest assembled from `source` (an '; arch:' header is added), at the default load address. */
export const asmGuest = (arch: Arch, source: string, memBytes = MEM): Promise<GuestImage> =>
  loadGuestBytes(
    new TextEncoder().encode(`${arch === 'x86_64' ? ';' : '//'} arch: ${arch}\n${source}\n`),
    `<nested-test-${arch}>.s`,
    { memBytes },
  );

/** Full invariant sweeps off for the calling suite (other suites run them), back on after it. */
export function withoutFullChecks(): void {
  const was = fullChecks();
  beforeAll(() => setFullChecks(false));
  afterAll(() => setFullChecks(was));
}

/** Machines made through `open` are closed by `closeAll` (call it in afterEach). */
const open: Machine[] = [];
export function machine(img: GuestImage, opts: Partial<MachineOptions> = {}): Machine {
  const m = new Machine(img, { memBytes: MEM, ...opts });
  open.push(m);
  return m;
}
export function closeAll(): void {
  for (const m of open.splice(0)) m.close();
}

/** Run slices until the guest stops, calling `between` after every slice that did not stop it. */
export function runWith(m: Machine, between: (slice: number) => void): StopReason {
  for (let i = 0; ; i++) {
    const stop = m.runSlice();
    if (stop !== null) return stop;
    between(i);
  }
}

/** Run slices until `cond()` holds (it is checked after each slice); throws if the guest stops first. */
export function runUntil(m: Machine, cond: () => boolean, what: string): void {
  while (!cond()) {
    const stop = m.runSlice();
    if (stop !== null) throw new Error(`guest stopped (${stop.reason}: ${stop.message}) before ${what}`);
  }
}

/** Guest RAM base of an architecture. */
export const ramBase = (arch: Arch): number => LAYOUT[arch].ramBase;

/**
 * A little-endian 64-bit word of guest RAM as a JS number (the values the tests use stay far below
 * 2^53), read from the ram object's frame in host RAM: no hold, no fault, no dirty bit.
 */
export function peek64(m: Machine, guestPhys: number): number {
  const vm = m.vm!;
  const off = guestPhys - vm.opts.ramBase;
  const frame = vm.ram.currentFrame(off - (off % PAGE_SIZE));
  if (frame === -1) return 0; // a page never touched has no frame yet: it reads as zero
  const at = frame * PAGE_SIZE + (off % PAGE_SIZE);
  const u8 = vm.mem.u8;
  let v = 0;
  for (let i = 7; i >= 0; i--) v = v * 256 + u8[at + i];
  return v;
}

/** Pages set in a harvest bitmap (bit i of byte i >> 3), as page indexes. */
export function bitmapPages(bitmap: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bitmap.length * 8; i++) if (bitmap[i >>> 3] & (1 << (i & 7))) out.push(i);
  return out;
}

/** The register a guest keeps a named value in, per architecture. */
export function reg(m: Machine, name: Record<Arch, string>): number {
  return Number(m.regs()[name[m.arch]]);
}
