// Test helpers: tiny guest programs assembled in place, as GuestImages or raw bytes.
import { LAYOUT, type Arch } from '../../../emulator/arch.js';
import { assemble } from '../../../emulator/asm/assemble.js';
import type { GuestImage } from '../../../emulator/image.js';

export const MiB = 1024 * 1024;

/** Assemble `source` at `base` (default: the arch's load address). */
export async function code(arch: Arch, source: string, base = LAYOUT[arch].defaultLoad): Promise<Uint8Array> {
  return (await assemble(arch, source, base)).bytes;
}

/** A GuestImage holding `source` at the default load address, entry at its first byte. */
export async function image(arch: Arch, source: string): Promise<GuestImage> {
  const base = LAYOUT[arch].defaultLoad;
  const data = await code(arch, source, base);
  return {
    arch,
    entry: base,
    segments: [{ gpa: base, data, memSize: data.length, flags: 'rwx' }],
    symbols: [],
    origin: '<test>',
    kind: 'asm',
  };
}
