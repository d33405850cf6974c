/*
 * The raw-binary loader: a file of bytes with no header, placed at one guest-physical address.
 *
 * A raw binary says nothing about itself, so the caller must: the architecture (--arch) and,
 * optionally, the load address (--load, default LAYOUT[arch].defaultLoad). The image is one
 * 'rwx' segment holding the whole file, and execution starts at its first byte.
 */
import { LAYOUT, type Arch } from '../arch.js';
import { BadGuestError, type GuestImage } from '../image.js';
import { checkPlacement } from './placement.js';

export interface RawOptions {
  readonly arch?: Arch;
  readonly load?: number;
  readonly memBytes: number;
}

export function loadRaw(bytes: Uint8Array, origin: string, opts: RawOptions): GuestImage {
  if (opts.arch === undefined) {
    throw new BadGuestError(
      `${origin}: not ELF and not assembly source (.s/.asm), so it is loaded as a raw binary, which needs --arch`,
    );
  }
  if (bytes.length === 0)
    throw new BadGuestError(`${origin}: empty file: a raw binary needs at least one byte`);
  const arch = opts.arch;
  const load = opts.load ?? LAYOUT[arch].defaultLoad;
  const segments = [{ gpa: load, data: bytes, memSize: bytes.length, flags: 'rwx' }];
  checkPlacement(origin, arch, segments, load, opts.memBytes, () => 'raw binary');
  return { arch, entry: load, segments, symbols: [], origin, kind: 'raw' };
}
