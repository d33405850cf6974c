/*
 * The instruction counter's calibrated offset (insn-counter.ts), kept between processes.
 *
 * Calibration opens a scratch engine and runs it three times: about 5 ms of every start, for an
 * answer that depends only on the libunicorn build. So the answer is kept in set-up's cache folder
 * (emulator/unicorn/library-cache.ts), keyed by the library file itself:
 *
 *   file    <cache>/insn-counter.json = { library, size, mtimeMs, offset }, where library is the
 *           library's real path and size/mtimeMs its stat; offset is a number or null (no unique
 *           slot: the binding counts with a code hook)
 *   read    used only when all three keys equal the library's now; a missing, unreadable or
 *           malformed file, or another library, is a calibration
 *   write   after a calibration, to a temporary name then renamed, so a reader never sees half a
 *           file; a folder that cannot be written keeps nothing and costs nothing but the 5 ms
 *
 * Invariant: a kept offset is trusted no further than a fresh one: every run that uses its whole
 * budget re-checks the slot (insn-counter.ts), so a library changed in place without a new size
 * or mtime is still caught.
 */
import { mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const COUNTER_CACHE_FILE = 'insn-counter.json';

interface Kept {
  readonly library: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly offset: number | null;
}

/* The library's identity, or null when it is no file of its own (a bare name for the loader). */
function identify(library: string): Omit<Kept, 'offset'> | null {
  try {
    const real = realpathSync(library);
    const st = statSync(real);
    return { library: real, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}

function readKept(file: string): Kept | null {
  try {
    const k = JSON.parse(readFileSync(file, 'utf8')) as Kept;
    const offsetOk = k.offset === null || (Number.isInteger(k.offset) && k.offset >= 0);
    return typeof k.library === 'string' && offsetOk ? k : null;
  } catch {
    return null;
  }
}

function writeKept(dir: string, kept: Kept): void {
  const file = join(dir, COUNTER_CACHE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, JSON.stringify(kept));
    renameSync(tmp, file);
  } catch {
    /* not writable: nothing kept */
  }
}

/** The offset for `library`: the kept one when it is this library's, else `calibrate()` (kept). */
export function keptCounterOffset(
  library: string,
  dir: string | null,
  calibrate: () => number | null,
): number | null {
  const id = identify(library);
  if (dir === null || id === null) return calibrate();
  const kept = readKept(join(dir, COUNTER_CACHE_FILE));
  if (kept !== null && kept.library === id.library && kept.size === id.size && kept.mtimeMs === id.mtimeMs)
    return kept.offset;
  const offset = calibrate();
  writeKept(dir, { ...id, offset });
  return offset;
}
