/*
 * The assembled-program cache: a source that assembled once is not handed to Keystone again.
 *
 * Starting Keystone (an emscripten build) costs more than everything else `nestvm run x.s` does,
 * so a program that assembled without error is kept as a small JSON file, and the next load of
 * the same source reads it back. This is ccache's rule applied to one assembler:
 *
 *   key     sha256 over the cache format, the architecture, the load address, the source text,
 *           Keystone's package version and the code of the assembler itself (every file with this
 *           module's extension in its folder and the folders just below: the asm sources under
 *           tsx or vitest, the tsc output, or the bundle and its chunks). A change to any of them
 *           is a new key, so a cached program is always what assembling now would give, byte for
 *           byte.
 *   value   the bytes (base64) and the symbols; the architecture and load address are in the key.
 *   misses  a missing, unreadable or malformed entry is a miss, never an error; so is a cache
 *           folder that cannot be written. Errors are not cached: a refused source is assembled
 *           (and refused, naming its line) every time.
 *
 * The folder is set-up's cache folder (a clone's .cache/, else the per-user one) with `asm/`
 * under it. NESTVM_ASM_CACHE=off turns the cache off. Entries are written to a temporary name
 * and renamed, so a reader never sees half a file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Arch } from '../arch.js';
import type { GuestSymbol } from '../image.js';
import type { AssembledProgram } from './assemble.js';

const FORMAT = 'nestvm-asm-cache 1';

interface Entry {
  readonly bytes: string;
  readonly symbols: readonly GuestSymbol[];
}

let codeDigest: string | null = null;

/** The files of `dir` and of its immediate subfolders that end in `ext`, sorted. */
function codeFiles(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && extname(e.name) === ext) out.push(join(dir, e.name));
    if (!e.isDirectory()) continue;
    for (const f of readdirSync(join(dir, e.name))) if (extname(f) === ext) out.push(join(dir, e.name, f));
  }
  return out.sort();
}

/** A digest of the assembler's own code and of the Keystone package it drives. */
function assemblerDigest(): string {
  if (codeDigest !== null) return codeDigest;
  const self = fileURLToPath(import.meta.url);
  const h = createHash('sha256');
  for (const f of codeFiles(dirname(self), extname(self))) h.update(f).update(readFileSync(f));
  const ks = createRequire(import.meta.url)('@alexaltea/keystone-js/package.json') as { version: string };
  codeDigest = h.update(ks.version).digest('hex');
  return codeDigest;
}

/** The cache key of one assembly. */
export function programKey(arch: Arch, source: string, baseAddr: number): string {
  return createHash('sha256')
    .update(`${FORMAT}\0${assemblerDigest()}\0${arch}\0${baseAddr}\0`)
    .update(source)
    .digest('hex');
}

/** The cached program for `key`, or null on any kind of miss. */
export function readProgram(dir: string, key: string, arch: Arch, baseAddr: number): AssembledProgram | null {
  try {
    const e = JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8')) as Entry;
    if (typeof e.bytes !== 'string' || !Array.isArray(e.symbols)) return null;
    return { arch, baseAddr, bytes: new Uint8Array(Buffer.from(e.bytes, 'base64')), symbols: e.symbols };
  } catch {
    return null;
  }
}

/** Keep `program` under `key`; a folder that cannot be written just keeps nothing. */
export function writeProgram(dir: string, key: string, program: AssembledProgram): void {
  const entry: Entry = { bytes: Buffer.from(program.bytes).toString('base64'), symbols: program.symbols };
  const tmp = join(dir, `${key}.${process.pid}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, join(dir, `${key}.json`));
  } catch {
    /* a read-only or full cache folder costs speed, never a run */
  }
}

/** Assemble through the cache in `dir` (null: no cache). */
export async function assembleCached(
  dir: string | null,
  arch: Arch,
  source: string,
  baseAddr: number,
  assemble: () => Promise<AssembledProgram>,
): Promise<AssembledProgram> {
  if (dir === null) return assemble();
  const key = programKey(arch, source, baseAddr);
  const hit = readProgram(dir, key, arch, baseAddr);
  if (hit !== null) return hit;
  const program = await assemble();
  writeProgram(dir, key, program);
  return program;
}
