/*
 * loadGuest(): one entry point for every guest format (DESIGN §5).
 *
 *   path ends in .s or .asm        -> assembly source, assembled now (asm.ts)
 *   file starts with 0x7f 'E' 'L' 'F' -> ELF64 executable (elf.ts)
 *   anything else                  -> raw binary, which needs --arch (raw.ts)
 *
 * A bundled sample's name stands for its file ("memtouch", "memtouch-arm64": sample-name.ts);
 * a file of that name in the current folder comes first.
 *
 * Every complaint about the input, including a missing or unreadable file, is a BadGuestError
 * with a one-line message that starts with the path. --load applies to raw binaries and
 * assembly source only; an ELF says where its segments go, so --load with an ELF is refused.
 *
 * The file is looked at before it is read: anything but a regular file (a device such as
 * /dev/zero, a FIFO, a directory) is refused, and so is a file larger than guest RAM, which no
 * loader could place. Only then is it read, so no input makes the loader read without bound.
 */
import { open, stat } from 'node:fs/promises';
import type { Arch } from '../arch.js';
import { BadGuestError, type GuestImage } from '../image.js';
import { isAsmPath, loadAsm } from './asm.js';
import { isElf, loadElf } from './elf.js';
import { loadRaw } from './raw.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { resolveGuest } from './sample-name.js';

export interface LoadOptions {
  readonly arch?: Arch;
  readonly load?: number;
  /** Guest RAM size in bytes: RAM is [LAYOUT[arch].ramBase, ramBase + memBytes). */
  readonly memBytes: number;
}

export async function loadGuest(spec: string, opts: LoadOptions): Promise<GuestImage> {
  const path = resolveGuest(spec, opts.arch, PACKAGE_ROOT);
  const bytes = await readGuestFile(path, opts.memBytes);
  return loadGuestBytes(bytes, path, opts);
}

/** The same dispatch for bytes already in memory (`origin` is used for messages and the rule). */
export async function loadGuestBytes(
  bytes: Uint8Array,
  origin: string,
  opts: LoadOptions,
): Promise<GuestImage> {
  if (isAsmPath(origin))
    return loadAsm(
      Buffer.from(bytes)
        .toString('utf8')
        .replace(/^\uFEFF/, ''),
      origin,
      opts,
    );
  if (isElf(bytes)) {
    if (opts.load !== undefined) {
      throw new BadGuestError(
        `${origin}: --load applies to raw binaries and assembly source; an ELF places itself`,
      );
    }
    return loadElf(bytes, origin, opts);
  }
  return loadRaw(bytes, origin, opts);
}

async function readGuestFile(path: string, memBytes: number): Promise<Uint8Array> {
  try {
    // stat by path first: opening a FIFO would wait for a writer.
    const info = await stat(path);
    if (info.isDirectory()) throw cannotRead(path, 'is a directory, not a guest program');
    if (!info.isFile()) throw cannotRead(path, 'not a regular file (a device, FIFO or socket)');
    if (info.size > memBytes)
      throw cannotRead(path, `${info.size} bytes is larger than guest RAM (${memBytes} bytes; see --mem)`);
    const file = await open(path, 'r');
    try {
      const bytes = new Uint8Array(memBytes < info.size + 1 ? memBytes : info.size + 1);
      const { bytesRead } = await file.read(bytes, 0, bytes.length, 0);
      if (bytesRead > info.size) throw cannotRead(path, 'it grew while being read');
      return bytes.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (e) {
    if (e instanceof BadGuestError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, not a guest program'
          : code === 'EACCES'
            ? 'permission denied'
            : ((e as Error).message ?? String(e));
    throw cannotRead(path, why);
  }
}

const cannotRead = (path: string, why: string) => new BadGuestError(`${path}: cannot read guest: ${why}`);

export { isElf, loadElf } from './elf.js';
export { loadRaw } from './raw.js';
export { loadAsm, archFromPath, chooseAsmArch } from './asm.js';
export { listSamples, sampleName, type GuestSample } from './samples.js';
export { findSample, resolveGuest, sampleNames, sampleOf } from './sample-name.js';
