#!/usr/bin/env node
/*
 * The launcher of the bundled `nestvm` executable, with a compile cache for the bundle.
 *
 * scripts/bundle-cli.mjs builds this file into dist/cli/nestvm.cjs (started by package.json's `bin`,
 * the shell command dist/cli/nestvm from cli/nestvm.sh, which says why; a CommonJS
 * file, as Node starts one sooner than an ES module) and the whole CLI, from cli/bin.ts, into one
 * CommonJS script, dist/bundle/cli.cjs (NESTVM_BUNDLE below). Node 20 has no compile
 * cache of its own (`module.enableCompileCache` is 22.1 and later), and compiling the CLI's few
 * hundred kilobytes is a good part of every start. So the launcher compiles the bundle itself,
 * through `vm.Script`, and hands V8 the code it kept from an earlier run:
 *
 *   file     <cache>/v8/cli-<bundle hash>-<node version>-<arch>-<command>.bin, where <cache> is
 *            set-up's cache folder (a clone's .cache/, else the per-user one: emulator/unicorn/
 *            library-cache.ts). The bundle hash is the sha256 of the bundle's text, written into
 *            this launcher when both are built, so a new bundle never meets old code. <command> is
 *            the first argument that is not an option (`run`, `tui`, ...; `-` for none): each
 *            command compiles different functions, and a file holds those of the run that wrote it.
 *   read     a missing or unreadable file is a plain compile. V8 checks the data itself (its own
 *            version, flags and the source) and rejects what does not fit; that too is a plain
 *            compile.
 *   write    only after a run that had no usable data: at exit, so the data holds every function
 *            that run compiled, not only the top level; not after a usage error (exit status 2),
 *            so a mistyped command leaves no file of its own. Written to a temporary name and renamed,
 *            so a reader never sees half a file; a folder that cannot be written keeps nothing
 *            and costs nothing but speed. The files of other bundles are removed then.
 *   off      NESTVM_COMPILE_CACHE=off compiles every time and keeps nothing.
 *
 * The bundle runs as a CommonJS module would: its own `require` (resolving from its file, so
 * node_modules is found as before), `module`, `__filename`, `__dirname`. A script compiled by
 * `vm.Script` cannot use `import()` without an experimental Node feature, so every dynamic import
 * in the bundle goes through `importEsm` here instead (scripts/bundle-cli.mjs rewrites them).
 *
 * Under `node --enable-source-maps` the bundle is loaded by Node's own loader instead (which alone
 * maps stack traces to the sources), without the cache.
 *
 * Invariant: what the CLI does, prints and exits with is the same with or without the cache; the
 * cache only decides whether V8 compiles the bundle or reads the compiled code back.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { PACKAGE_ROOT } from '../emulator/package-root.js';
import { setupCacheDir } from '../emulator/unicorn/library-cache.js';
import { EXIT } from './exit-codes.js';

/** Filled in by scripts/bundle-cli.mjs: the bundle's path from this file, and its text's hash. */
declare const NESTVM_BUNDLE: { readonly path: string; readonly hash: string };

type BundleMain = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
  importEsm: (specifier: string) => Promise<unknown>,
) => void;

const importEsm = (specifier: string): Promise<unknown> => import(specifier);

const PREFIX = `cli-${NESTVM_BUNDLE.hash}-`;

/** The command named on the command line, as a file-name part. */
function commandPart(argv: readonly string[]): string {
  const first = argv.find((a) => !a.startsWith('-'));
  return first !== undefined && /^[a-z][a-z0-9-]{0,31}$/.test(first) ? first : '-';
}

/** The cache file for this bundle, Node and command, or null when there is nowhere to keep it. */
function cacheFile(): string | null {
  if (process.env.NESTVM_COMPILE_CACHE === 'off') return null;
  const dir = setupCacheDir(process.env, PACKAGE_ROOT);
  if (dir === null) return null;
  const command = commandPart(process.argv.slice(2));
  return join(dir, 'v8', `${PREFIX}${process.version}-${process.arch}-${command}.bin`);
}

function readCache(file: string | null): Buffer | undefined {
  if (file === null) return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined; // no cache yet: compile
  }
}

/** Keep the compiled code of `script` in `file`, and remove other bundles' files. */
function writeCache(file: string, script: Script): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, file);
    for (const old of readdirSync(dir)) {
      if (old.startsWith('cli-') && !old.startsWith(PREFIX) && !old.endsWith('.tmp')) {
        rmSync(join(dir, old), { force: true });
      }
    }
  } catch {
    // A read-only or full cache folder costs speed, never a run (nor a stack trace at exit).
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* nothing was written */
    }
  }
}

/**
 * Puts back the user's NODE_EXTRA_CA_CERTS, which the `nestvm` shell command (cli/nestvm.sh) moved
 * aside so that Node would not build a certificate store at start: the processes nestvm starts get
 * the environment the user gave it.
 */
function restoreCaCertsVariable(env: NodeJS.ProcessEnv): void {
  const kept = env.NESTVM_NODE_EXTRA_CA_CERTS;
  if (kept === undefined) return;
  env.NODE_EXTRA_CA_CERTS = kept;
  delete env.NESTVM_NODE_EXTRA_CA_CERTS;
}

function launch(): void {
  restoreCaCertsVariable(process.env);
  const bundle = fileURLToPath(new URL(NESTVM_BUNDLE.path, import.meta.url));
  if (process.sourceMapsEnabled) {
    // Node maps stack traces only for code its own loader compiled: no cache, then.
    (globalThis as { __nestvmImport?: typeof importEsm }).__nestvmImport = importEsm;
    createRequire(import.meta.url)(bundle);
    return;
  }
  const source = readFileSync(bundle, 'utf8');
  const file = cacheFile();
  const cachedData = readCache(file);
  // The wrapper starts on the bundle's first line, so line numbers in stack traces stay right.
  const wrapper = `(function (exports, require, module, __filename, __dirname, __nestvmImport) {${source}\n})`;
  const script = new Script(wrapper, { filename: bundle, cachedData });
  if (file !== null && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once('exit', (status) => {
      if (status !== EXIT.usage) writeCache(file, script);
    });
  }
  const run = script.runInThisContext() as BundleMain;
  const module = { exports: {} };
  run(module.exports, createRequire(bundle), module, bundle, dirname(bundle), importEsm);
}

launch();
