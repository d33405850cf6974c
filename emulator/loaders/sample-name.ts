/*
 * A bundled sample named on the command line: `nestvm run memtouch`, `nestvm tui memtouch --arch
 * arm64`, from any folder.
 *
 * `resolveGuest(spec, arch, root)` turns what the user typed into the file to load:
 *   1. a file that exists at `spec` is that file, whatever it is called (a path always wins);
 *   2. a sample's full name ("memtouch-arm64") is that sample;
 *   3. a short name ("memtouch") is the sample of that name for --arch, or x86_64 without it;
 *   4. a name that is no sample but something other than a file (a folder, a device) is left to
 *      the loader, which says what is wrong with it, as is every spec with a path separator;
 *   5. anything else is neither a file nor a sample: a BadGuestError (exit status 2) whose one
 *      line lists the short names.
 * Samples resolve to absolute paths under the package root, so the loader's messages, `run
 * --json`'s `guest` and the TUI's title name the real file. `sampleOf` says which sample a spec
 * stands for, by name or by its file (a path to a sample's own file is that sample), so a
 * sample's own settings (its vCPU count) follow it however it is named.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Arch } from '../arch.js';
import { BadGuestError } from '../image.js';
import { listSamples, sampleName, type GuestSample } from './samples.js';

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The sample `name` stands for (a full or a short name), or null. */
export function findSample(samples: readonly GuestSample[], name: string, arch?: Arch): GuestSample | null {
  const exact = samples.find((s) => s.name === name);
  if (exact) return exact;
  return samples.find((s) => sampleName(s) === name && s.arch === (arch ?? 'x86_64')) ?? null;
}

/** The short names, each once, in index order. */
export const sampleNames = (samples: readonly GuestSample[]): string[] => [
  ...new Set(samples.map(sampleName)),
];

/** The sample `spec` names or whose file it is (the rules above), or null. */
export function sampleOf(spec: string, arch: Arch | undefined, root: string): GuestSample | null {
  const samples = listSamples(root);
  const file = resolve(spec);
  const own = samples.find((s) => resolve(root, s.path) === file);
  if (own !== undefined) return own;
  if (spec.includes('/') || spec.includes(sep) || isFile(spec)) return null;
  return findSample(samples, spec, arch);
}

/** The file to load for `spec`, per the rules in the essay. */
export function resolveGuest(spec: string, arch: Arch | undefined, root: string): string {
  if (spec.includes('/') || spec.includes(sep) || isFile(spec)) return spec;
  const samples = listSamples(root);
  const sample = findSample(samples, spec, arch);
  if (sample) return join(root, sample.path);
  if (existsSync(spec)) return spec;
  const other = samples.find((s) => sampleName(s) === spec);
  if (other)
    throw new BadGuestError(
      `${spec}: the ${spec} sample exists for ${other.arch} only (use --arch ${other.arch})`,
    );
  throw new BadGuestError(
    `${spec}: no such file, and no sample of that name (samples: ${sampleNames(samples).join(', ')}; nestvm guests lists them)`,
  );
}
