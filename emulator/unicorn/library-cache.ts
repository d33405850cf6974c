/*
 * Where set-up records which libunicorn to load, and where it keeps what it fetched.
 *
 * Set-up (scripts/setup.sh, also run by `nestvm setup`) writes the library's path into a one-line
 * file, `libunicorn.path`, in its cache folder. A clone's cache folder is `<clone>/.cache`. An
 * installed package cannot write into its own folder (a global install belongs to root, and a new
 * version replaces it), so its cache folder is the user's: `$XDG_CACHE_HOME/nestvm`, or
 * `$HOME/.cache/nestvm` when XDG_CACHE_HOME is unset or not absolute (as the XDG base directory
 * rules say). The binding reads the records in that order, clone first, so a clone keeps using
 * what its own set-up chose even on a machine where an installed nestvm has set up too.
 *
 * A package counts as installed when its root folder lies inside a `node_modules` folder, which
 * is where npm puts every installed package (global or local). A clone linked with `npm link` is
 * reached through its real path, so it stays a clone.
 *
 * Nothing here reads the clock or caches: each call reads the environment and the files it is
 * given, so tests can pass their own.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';

export const RECORD_FILE = 'libunicorn.path';
/** The record of the block counter's shared object, built by set-up beside Unicorn (block-shim.ts). */
export const COUNTER_RECORD_FILE = 'block-counter.path';

/** The per-user cache folder, or null when neither XDG_CACHE_HOME nor HOME says where it is. */
export function userCacheDir(env: NodeJS.ProcessEnv): string | null {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'nestvm');
  const home = env.HOME;
  return home !== undefined && home !== '' ? join(home, '.cache', 'nestvm') : null;
}

/** Whether the package at `root` was installed by npm (rather than being a clone). */
export function isInstalledPackage(root: string): boolean {
  return root.split(sep).includes('node_modules');
}

/** The folder set-up fetches into and records in, for the package at `root`. */
export function setupCacheDir(env: NodeJS.ProcessEnv, root: string): string | null {
  return isInstalledPackage(root) ? userCacheDir(env) : join(root, '.cache');
}

/** The record files the binding reads, in order: the clone's, then the user's. */
export function recordFiles(env: NodeJS.ProcessEnv, root: string, name = RECORD_FILE): string[] {
  const user = userCacheDir(env);
  return [join(root, '.cache', name), ...(user === null ? [] : [join(user, name)])];
}

export interface Recorded {
  /** The library path written in the record. */
  readonly library: string;
  /** The record file it was read from. */
  readonly record: string;
}

/** The first non-empty record (of Unicorn, or of the file `name`), or null. */
export function readRecord(env: NodeJS.ProcessEnv, root: string, name = RECORD_FILE): Recorded | null {
  for (const record of recordFiles(env, root, name)) {
    try {
      const library = readFileSync(record, 'utf8').trim();
      if (library !== '') return { library, record };
    } catch {
      /* no record here: try the next */
    }
  }
  return null;
}
