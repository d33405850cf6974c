/*
 * Malformed ELF files, made from the bundled c-hello ELFs: cut at an offset, or with one header or
 * program-header field set to a hostile value. Each is run through the CLI in-process. A file the
 * loader cannot take must give one line and exit 2; a mutation that leaves a loadable file may run,
 * but must still end with a documented status.
 *
 *   ELF64 header                         program header (56 bytes each, at e_phoff)
 *   0  e_ident (class @4, data @5,        0  p_type     8 p_offset   16 p_vaddr
 *      version @6)                        24 p_paddr   32 p_filesz   40 p_memsz
 *   18 e_machine  20 e_version            48 p_align
 *   24 e_entry    32 e_phoff
 *   54 e_phentsize  56 e_phnum
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../emulator/package-root.js';
import type { Rng } from './rng.js';

export interface FileCase {
  name: string;
  bytes: Uint8Array;
  /** Statuses the case must end with (undefined: any documented one). */
  want?: readonly number[];
}

const ELFS = ['guests/x86_64/c-hello/c-hello.elf', 'guests/arm64/c-hello/c-hello.elf'];
const MUST_REFUSE = [2] as const;

const load = (path: string): Uint8Array => new Uint8Array(readFileSync(join(PACKAGE_ROOT, path)));

function edit(base: Uint8Array, fn: (v: DataView) => void): Uint8Array {
  const out = new Uint8Array(base);
  fn(new DataView(out.buffer));
  return out;
}

const phoff = (v: DataView): number => Number(v.getBigUint64(32, true));
const u64 = (v: DataView, at: number, x: bigint) => v.setBigUint64(at, x, true);

/* The named corruptions: each must be refused. */
function namedCorruptions(base: Uint8Array): [string, Uint8Array][] {
  return [
    ['EI_VERSION 0', edit(base, (v) => v.setUint8(6, 0))],
    ['32-bit class', edit(base, (v) => v.setUint8(4, 1))],
    ['big-endian', edit(base, (v) => v.setUint8(5, 2))],
    ['e_phoff into the header', edit(base, (v) => u64(v, 32, 8n))],
    ['e_phnum 0xffff', edit(base, (v) => v.setUint16(56, 0xffff, true))],
    ['e_phentsize 12', edit(base, (v) => v.setUint16(54, 12, true))],
    ['segment past end of file', edit(base, (v) => u64(v, phoff(v) + 8, 0x7fff_0000n))],
    ['segment outside RAM', edit(base, (v) => u64(v, phoff(v) + 24, 0x7fff_ffff_0000n))],
    ['p_paddr unaligned', edit(base, (v) => u64(v, phoff(v) + 24, v.getBigUint64(phoff(v) + 24, true) + 3n))],
    ['p_align 3', edit(base, (v) => u64(v, phoff(v) + 48, 3n))],
    ['huge p_filesz', edit(base, (v) => u64(v, phoff(v) + 32, 0xffff_ffff_ffffn))],
  ];
}

/** Every named corruption of both ELFs (the regression cases). */
export function namedElfCases(): FileCase[] {
  return ELFS.flatMap((p) =>
    namedCorruptions(load(p)).map(([what, bytes]) => ({ name: `${p}: ${what}`, bytes, want: MUST_REFUSE })),
  );
}

/** A random malformation: a cut, or random bytes written into the headers. */
export function randomElfCase(rng: Rng, i: number): FileCase {
  const path = rng.pick(ELFS);
  const base = load(path);
  if (rng.below(2) === 0) {
    const at = rng.below(base.length);
    return { name: `${path} cut at ${at} #${i}`, bytes: base.slice(0, at) };
  }
  const out = new Uint8Array(base);
  const view = new DataView(out.buffer);
  const headers = Math.min(out.length, phoff(view) + 56 * view.getUint16(56, true));
  for (let k = 1 + rng.below(4); k > 0; k--) out[rng.below(headers)] = rng.u32() & 0xff;
  return { name: `${path} header bytes #${i}`, bytes: out };
}
