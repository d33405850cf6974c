/*
 * Guests made by chance, run through the library: random bytes as a raw binary, and the bundled
 * samples with random bytes flipped. Each runs on a random entry format, sometimes with host memory
 * squeezed to a few spare frames, under an instruction limit, so every case ends. One case in
 * sixteen runs twice and must stop the same way with the same console (determinism).
 */
import { join } from 'node:path';
import type { Arch } from '../emulator/arch.js';
import type { GuestImage } from '../emulator/image.js';
import { listSamples, loadGuest, loadGuestBytes } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { PACKAGE_ROOT } from '../emulator/package-root.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';
import { PAGE_SIZE } from '../mmu/addr.js';
import { checkStop } from './oracle.js';
import type { Rng } from './rng.js';

export const MEM = 64 << 20;
const FORMATS: readonly FormatName[] = ['ept', 'npt', 's2'];

export interface GuestCase {
  name: string;
  image: GuestImage;
  format: FormatName;
  hostBytes?: number;
}

/** One run of a case: the failure, or null. */
export function runGuestCase(c: GuestCase, twice: boolean): string | null {
  const a = runOnce(c);
  if (typeof a === 'string') return a;
  if (!twice) return null;
  const b = runOnce(c);
  if (typeof b === 'string') return b;
  if (a.key !== b.key) return `not deterministic: ${a.key} then ${b.key}`;
  return null;
}

function runOnce(c: GuestCase): { key: string } | string {
  let m: Machine | null = null;
  try {
    m = new Machine(c.image, {
      memBytes: MEM,
      format: c.format,
      maxInsns: 20_000,
      sliceInsns: 2_500,
      timeoutMs: 5_000,
      ...(c.hostBytes !== undefined ? { hostBytes: c.hostBytes } : {}),
    });
    const stop = m.run();
    const why = checkStop(stop, m.stats()?.holds.outstanding ?? 0);
    if (why !== null) return why;
    return { key: `${stop.reason}/${stop.code}/${stop.pc}/${m.instructions}/${JSON.stringify(m.console)}` };
  } catch (e) {
    return `threw ${(e as Error).name}: ${(e as Error).message}`;
  } finally {
    m?.close();
  }
}

/** Host memory: the default (plenty), or guest RAM plus only a few spare frames for tables. */
const hostBytesFor = (rng: Rng): number | undefined =>
  rng.below(3) === 0 ? MEM + (MIN_TABLE_FRAMES + rng.below(8)) * PAGE_SIZE : undefined;

/* The fewest table frames NestedVm accepts beside guest RAM (its reserve and a root). */
const MIN_TABLE_FRAMES = 5;

export async function randomGuest(rng: Rng, arch: Arch, i: number): Promise<GuestCase> {
  const bytes = rng.bytes(16 + rng.below(240));
  const image = await loadGuestBytes(bytes, `random-${arch}-${i}.bin`, { arch, memBytes: MEM });
  return { name: `random ${arch} #${i}`, image, format: rng.pick(FORMATS), hostBytes: hostBytesFor(rng) };
}

const sampleImages = new Map<string, GuestImage>();

/** A bundled sample (assembled once per campaign) with 1 to 8 of its bytes replaced. */
export async function mutatedSample(rng: Rng, i: number): Promise<GuestCase> {
  const samples = listSamples(PACKAGE_ROOT);
  const s = rng.pick(samples);
  let base = sampleImages.get(s.name);
  if (!base) {
    base = await loadGuest(join(PACKAGE_ROOT, s.path), { memBytes: MEM });
    sampleImages.set(s.name, base);
  }
  const segments = base.segments.map((seg) => ({ ...seg, data: new Uint8Array(seg.data) }));
  const code = segments[rng.below(segments.length)];
  for (let k = 1 + rng.below(8); k > 0 && code.data.length > 0; k--)
    code.data[rng.below(code.data.length)] = rng.u32() & 0xff;
  const image = { ...base, segments };
  return { name: `${s.name} mutated #${i}`, image, format: rng.pick(FORMATS), hostBytes: hostBytesFor(rng) };
}
