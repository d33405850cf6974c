/*
 * The assembly-source loader: a .s/.asm file assembled with Keystone when it is loaded.
 *
 * The architecture is decided by, in order (guests/README.md):
 *   1. --arch, if given (an `arch:` header naming another one is an error, not an override);
 *   2. an `arch:` header comment: `; arch: x86_64`, `// arch: arm64` (also x86-64, amd64, aarch64);
 *   3. a path component naming one: guests/x86_64/..., .../arm64/..., x86-64, amd64, aarch64;
 * otherwise the file is refused with a message saying how to name it.
 *
 * The bytes are placed at --load (default LAYOUT[arch].defaultLoad) as one 'rwx' segment.
 * Execution starts at the label `_start` if the source defines one, else at the first byte.
 * Labels become the image's symbols. A source that assembled before is read back from the
 * assembled-program cache instead of being handed to Keystone again (asm/program-cache.ts;
 * NESTVM_ASM_CACHE=off skips it). An assembly error becomes a BadGuestError (AsmError)
 * "path:LINE: reason: text".
 */
import { join } from 'node:path';
import { LAYOUT, type Arch } from '../arch.js';
import { assemble } from '../asm/assemble.js';
import { assembleCached } from '../asm/program-cache.js';
import { archHeader, parseArchName } from '../asm/source.js';
import { BadGuestError, type GuestImage } from '../image.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { setupCacheDir } from '../unicorn/library-cache.js';
import { checkPlacement } from './placement.js';

export interface AsmOptions {
  readonly arch?: Arch;
  readonly load?: number;
  readonly memBytes: number;
}

export function isAsmPath(path: string): boolean {
  return /\.(s|asm)$/i.test(path);
}

/** The architecture a path names through one of its components, or null. */
export function archFromPath(path: string): Arch | null {
  const found = new Set<Arch>();
  for (const part of path.split(/[/\\]/)) {
    const arch = parseArchName(part);
    if (arch !== null) found.add(arch);
  }
  return found.size === 1 ? [...found][0] : null;
}

export function chooseAsmArch(origin: string, source: string, given: Arch | undefined): Arch {
  const header = archHeader(source);
  if (header !== null && header.arch === null) {
    throw new BadGuestError(
      `${origin}:${header.line}: unknown architecture '${header.name}' (use x86_64 or arm64)`,
    );
  }
  if (given !== undefined) {
    if (header?.arch && header.arch !== given) {
      throw new BadGuestError(
        `${origin}:${header.line}: the source says arch: ${header.arch} but --arch ${given} was given`,
      );
    }
    return given;
  }
  if (header?.arch) return header.arch;
  const fromPath = archFromPath(origin);
  if (fromPath !== null) return fromPath;
  throw new BadGuestError(
    `${origin}: cannot tell the architecture: add a '; arch: x86_64' or '// arch: arm64' line, or pass --arch`,
  );
}

/** Where assembled programs are kept (program-cache.ts), or null when NESTVM_ASM_CACHE=off. */
function asmCacheDir(): string | null {
  if (process.env.NESTVM_ASM_CACHE === 'off') return null;
  const dir = setupCacheDir(process.env, PACKAGE_ROOT);
  return dir === null ? null : join(dir, 'asm');
}

export async function loadAsm(source: string, origin: string, opts: AsmOptions): Promise<GuestImage> {
  const arch = chooseAsmArch(origin, source, opts.arch);
  const load = opts.load ?? LAYOUT[arch].defaultLoad;
  const program = await assembleCached(asmCacheDir(), arch, source, load, () =>
    assemble(arch, source, load, { origin }),
  );
  if (program.bytes.length === 0)
    throw new BadGuestError(`${origin}: assembles to nothing (no instructions or data)`);
  const entry = program.symbols.find((s) => s.name === '_start')?.addr ?? load;
  const segments = [{ gpa: load, data: program.bytes, memSize: program.bytes.length, flags: 'rwx' }];
  checkPlacement(origin, arch, segments, entry, opts.memBytes, () => 'assembled code');
  return { arch, entry, segments, symbols: program.symbols, origin, kind: 'asm' };
}
