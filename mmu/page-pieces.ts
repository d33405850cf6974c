/*
 * Page pieces: an address range cut where pages end. Every host-side copy of guest memory (the
 * devices' reads and writes, the loader's, the TUI's) goes page by page, because each page has its
 * own translation; forEachPage is that one loop.
 *
 * Invariants: the pieces cover [start, start + length) exactly, in address order, none crossing a
 * page boundary, none empty; a piece that answers something other than undefined ends the loop,
 * and that answer is returned (a fault value, say). Works on any address below 2^53.
 */
import { PAGE_SIZE } from './addr.js';

/**
 * Call piece(at, done, n) for each page piece of [start, start + length): `at` is the piece's
 * address, `done` the bytes before it, `n` its length. The first answer that is not undefined
 * stops the walk and is returned; undefined when every piece ran.
 */
export function forEachPage<T>(
  start: number,
  length: number,
  piece: (at: number, done: number, n: number) => T | undefined,
): T | undefined {
  for (let done = 0; done < length;) {
    const at = start + done;
    const n = Math.min(PAGE_SIZE - (at % PAGE_SIZE), length - done);
    const stop = piece(at, done, n);
    if (stop !== undefined) return stop;
    done += n;
  }
  return undefined;
}

/** The little-endian 32-bit word in the first four bytes (an arm64 instruction word). */
export const word32le = (b: Uint8Array): number => (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
