// Bundles the `nestvm` executable (package.json `bin`, dist/cli/nestvm, a shell command that starts
// dist/cli/nestvm.cjs), after `tsc -p
// tsconfig.build.json` has type-checked and built dist/ (`npm run build` runs both, and so does
// scripts/setup.sh).
//
// Why: Node loads an ES module graph file by file, resolving, reading and compiling each; the CLI's
// 160-odd modules (ours, yargs and its helpers) cost about 100 ms of every start. Bundled, the
// whole CLI is one CommonJS script, dist/bundle/cli.cjs (from cli/bin.ts), and the executable is a
// small CommonJS launcher, dist/cli/nestvm.cjs (from cli/launch.ts), that compiles that script
// through `vm.Script` with a compile cache (its essay says how the cache is kept). dist/cli/bin.js,
// tsc's unbundled executable, is replaced by a one-line module that starts the launcher, so
// `node dist/cli/bin.js` runs the bundle too. dist/index.js, the library, stays tsc's
// file-per-module build; so does the rest of dist/cli/.
//
// What stays outside the bundle, loaded from node_modules at run time:
//   - koffi (a native addon), Keystone and Capstone (CommonJS glue that finds its .wasm file next
//     to itself; emulator/asm/emscripten.ts loads them through createRequire when first used);
//   - Ink and React, which only the TUI loads, and which cli/tui reaches into by file path
//     (cli/tui/ink-output-class.ts), so there must be exactly one copy: node_modules';
//   - every other runtime dependency except those in BUNDLED.
// Lookups relative to the code keep working: `import.meta.url` is the bundle's own file URL, and
// emulator/package-root.ts walks up from dist/bundle/ to package.json, so guests/ and .cache/ are
// found as before; yargs is given the version explicitly (cli/yargs-lean.ts), as from inside a
// bundle it would look for package.json in the wrong place. The assembled-program cache
// (emulator/asm/program-cache.ts) keys on the code in its module's folder: the bundle's folder
// holds the bundle alone.
//
// The plugins keep the bundle doing no more than the module graph did:
//   - yargsShimHome: yargs' platform shim finds its message translations (yargs/locales/*.json,
//     used when LANG names another language) from its own file's URL. In the bundle that URL is
//     the bundle's, so the translations are copied to dist/bundle/yargs/locales/ and the shim is
//     told its file is dist/bundle/yargs/lib/platform-shims/esm.mjs, from where it finds them.
//   - lazyDefault: in a bundle every module's top level runs at start, needed or not. cliui and
//     string-width build Unicode regular expressions and Intl segmenters there (about 20 ms),
//     which only help text uses. Their imports are replaced by a function that loads the real
//     module on its first call (esbuild then wraps it to run on demand).
//   - lazyBuiltin: the same for Node's own modules that only some commands use (LAZY_BUILTINS):
//     an object that loads the module on the first read of one of its properties. Loading
//     child_process, crypto or assert pulls in dozens of Node's internal modules.
//   - esmOnly: an ES-module-only package (Ink, slice-ansi, ansi-tokenize) cannot be `require`d
//     from a CommonJS script (Ink's module graph has a top-level await). Such a package is loaded
//     with a real `import()` before the first module that uses it runs: every `await import('./x')`
//     of our own modules first awaits `esmReady()`, which imports them all, and the package is
//     then replaced by a module that re-exports what was imported. Each other `import(...)` of
//     ours is routed to the launcher's `importEsm` (a script from `vm.Script` has no import()
//     of its own). The build fails if an `import(` is left in the bundle.
//
// Run: node scripts/bundle-cli.mjs   (from the package root)
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);

// Dependencies compiled into the bundle; all others are external.
const BUNDLED = new Set(['yargs']);
// Bundled modules whose default export is a function that only help text calls.
const LAZY = ['cliui', 'string-width'];
// Node's modules that not every command needs: each is loaded when first used.
const LAZY_BUILTINS = ['assert', 'child_process', 'crypto', 'fs/promises', 'readline', 'vm'];

const BUNDLE = 'dist/bundle/cli.cjs';
const LAUNCHER = 'dist/cli/nestvm.cjs';
// package.json's `bin`: a shell command that starts the launcher (cli/nestvm.sh says why).
const COMMAND = 'dist/cli/nestvm';
// What `node dist/cli/bin.js` (the README's way in a clone, and the tests') runs once bundled.
const SHIM = 'dist/cli/bin.js';
const ESM = 'nestvm-esm';
const YARGS_LOCALES = 'yargs/locales';

const SHIM_HOME = 'const __dirname = fileURLToPath(import.meta.url);';
// The translations are copied beside the bundle (YARGS_LOCALES), and the shim's own path is put
// where they are found from it, so nothing is looked up at start.
const SHIM_HOME_AT_RUN_TIME =
  "const __dirname = join(dirname(fileURLToPath(import.meta.url)), 'yargs/lib/platform-shims/esm.mjs');";

// yargs checks its own state with assert on every parse, and its shim reads assert's functions
// when it starts; either would load assert (lazyBuiltin). The shim's two checks are therefore
// done first with Object.is, the test assert itself applies, and assert is called (and loaded)
// only to throw its own error when a check fails.
const SHIM_ASSERT = 'assert: {\n    notStrictEqual,\n    strictEqual\n  },';
const SHIM_ASSERT_ON_USE = `assert: {
    notStrictEqual: (a, b, message) => { if (Object.is(a, b)) notStrictEqual(a, b, message) },
    strictEqual: (a, b, message) => { if (!Object.is(a, b)) strictEqual(a, b, message) }
  },`;

const yargsShimHome = {
  name: 'yargs-shim-home',
  setup(b) {
    b.onLoad({ filter: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(SHIM_HOME) || !text.includes(SHIM_ASSERT))
        throw new Error(`${args.path}: yargs changed; update scripts/bundle-cli.mjs`);
      const contents = text
        .replace(SHIM_HOME, SHIM_HOME_AT_RUN_TIME)
        .replace(SHIM_ASSERT, SHIM_ASSERT_ON_USE);
      return { contents, loader: 'js' };
    });
  },
};

const lazyDefault = {
  name: 'lazy-default',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${LAZY.join('|')})$`) }, async (args) => {
      if (args.pluginData?.real === true) return undefined;
      const { kind, importer, resolveDir } = args;
      const real = await b.resolve(args.path, { kind, importer, resolveDir, pluginData: { real: true } });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: real.path, namespace: 'lazy-default' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-default' }, (args) => ({
      contents: [
        'let real;',
        'export default function lazy(...args) {',
        `  real ??= require(${JSON.stringify(args.path)}).default;`,
        '  return real(...args);',
        '}',
      ].join('\n'),
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

const lazyBuiltin = {
  name: 'lazy-builtin',
  setup(b) {
    const names = LAZY_BUILTINS.map((n) => n.replace('/', '\\/')).join('|');
    b.onResolve({ filter: new RegExp(`^(node:)?(${names})$`) }, (args) => {
      if (args.namespace === 'lazy-builtin') return { path: args.path, external: true };
      return { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' };
    });
    // esbuild's ES-module interop copies an imported CommonJS module's own keys (as getters) when
    // the importer starts; the keys are therefore listed here, from this Node's module, so that
    // listing them loads nothing. A key the running Node has and this one lacks reads undefined.
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: [
        'let real;',
        `const load = () => (real ??= require(${JSON.stringify(`node:${args.path}`)}));`,
        `const keys = ${JSON.stringify(Object.getOwnPropertyNames(require(`node:${args.path}`)))};`,
        'module.exports = new Proxy({}, {',
        '  get: (_, key) => Reflect.get(load(), key),',
        '  has: (_, key) => Reflect.has(load(), key),',
        '  ownKeys: () => keys,',
        '  getOwnPropertyDescriptor: (_, key) =>',
        '    keys.includes(key) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined,',
        '});',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

/** Whether `require(spec)` from the package root would not give a CommonJS module. */
function esmOnly(spec) {
  const req = createRequire(join(process.cwd(), 'package.json'));
  let file;
  try {
    file = req.resolve(spec);
  } catch {
    return true; // no `require` condition in its exports
  }
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = dirname(file); dirname(dir) !== dir; dir = dirname(dir)) {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type === 'module';
    } catch {
      /* no package.json here: look further up */
    }
  }
  return false;
}

const OWN_DYNAMIC = /\bawait import\((['"])(\.{1,2}\/[^'"]+)\1\)/g;
const OTHER_DYNAMIC = /\bawait import\((?!['"]\.)/g;

function esmOnlyPlugin(external) {
  const found = new Set();
  return {
    name: 'esm-only',
    setup(b) {
      const packages = external.filter((n) => !n.endsWith('/*'));
      const isEsm = new Map(packages.map((n) => [n, esmOnly(n)]));
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.path === ESM) return { path: ESM, namespace: ESM };
        if (args.namespace === 'esm-only' || !isEsm.get(args.path)) return undefined;
        found.add(args.path);
        return { path: args.path, namespace: 'esm-only' };
      });
      b.onLoad({ filter: /.*/, namespace: 'esm-only' }, async (args) => {
        const req = createRequire(join(process.cwd(), 'package.json'));
        const entry = await import(pathToFileURL(resolveEsm(req, args.path)).href);
        const names = Object.keys(entry).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
        return {
          contents: [
            `import { esmModule } from '${ESM}';`,
            `const m = esmModule(${JSON.stringify(args.path)});`,
            ...('default' in entry ? ['export default m.default;'] : []),
            ...names.map((n) => `export const ${n} = m.${n};`),
          ].join('\n'),
          resolveDir: process.cwd(),
          loader: 'js',
        };
      });
      b.onLoad({ filter: /.*/, namespace: ESM }, () => ({
        contents: [
          'const loaded = new Map();',
          'let ready;',
          '/* Import every ES-module-only package the bundle uses (once). */',
          'export function esmReady() {',
          `  ready ??= Promise.all(${JSON.stringify([...isEsm].filter(([, e]) => e).map(([n]) => n))}.map(async (name) => {`,
          '    loaded.set(name, await __nestvmImport(name));',
          '  }));',
          '  return ready;',
          '}',
          'export function esmModule(name) {',
          '  if (!loaded.has(name)) throw new Error(`${name} was used before esmReady() (scripts/bundle-cli.mjs)`);',
          '  return loaded.get(name);',
          '}',
        ].join('\n'),
        loader: 'js',
      }));
      b.onLoad({ filter: /[\\/](cli|emulator|mmu)[\\/].*\.tsx?$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('await import(')) return undefined;
        const contents =
          text
            .replace(OWN_DYNAMIC, 'await __nestvmEsmReady().then(() => import($1$2$1))')
            .replace(OTHER_DYNAMIC, 'await __nestvmImport(') +
          `\nimport { esmReady as __nestvmEsmReady } from '${ESM}';\n`;
        return { contents, loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
      });
    },
  };
}

/** The file `import(spec)` from the package root loads. */
function resolveEsm(req, spec) {
  try {
    return req.resolve(spec);
  } catch {
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    const manifest = JSON.parse(readFileSync(req.resolve(`${name}/package.json`), 'utf8'));
    const dot = manifest.exports?.['.'] ?? manifest.exports;
    const target = typeof dot === 'string' ? dot : (dot?.import ?? dot?.default);
    return join(dirname(req.resolve(`${name}/package.json`)), target);
  }
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const external = Object.keys(manifest.dependencies ?? {})
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

if (manifest.bin?.nestvm !== COMMAND)
  throw new Error('package.json bin moved: update scripts/bundle-cli.mjs');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  write: false,
};

rmSync('dist/cli/chunks', { recursive: true, force: true }); // the earlier, ES-module build's
rmSync(dirname(BUNDLE), { recursive: true, force: true });
const cli = await build({
  ...common,
  entryPoints: ['cli/bin.ts'],
  outfile: BUNDLE,
  format: 'cjs',
  external,
  define: { 'import.meta.url': '__nestvmBundleUrl' },
  // Strict, as the ES modules it is made of are: the directive must come before the banner's code.
  banner: { js: '"use strict";var __nestvmBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [yargsShimHome, lazyDefault, lazyBuiltin, esmOnlyPlugin(external)],
  sourcemap: 'linked',
});
mkdirSync(dirname(BUNDLE), { recursive: true });
cpSync(
  join(dirname(require.resolve('yargs/package.json')), 'locales'),
  join(dirname(BUNDLE), YARGS_LOCALES),
  {
    recursive: true,
  },
);
let hash = '';
for (const out of cli.outputFiles) {
  let text = out.text;
  if (out.path.endsWith('.cjs')) {
    text = text.replace(/^#![^\n]*\n/, '\n'); // a script compiled by vm.Script has no hashbang; keep the lines
    if (/\bimport\(/.test(text)) throw new Error(`${BUNDLE}: an import( is left; see the esm-only plugin`);
    hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  }
  writeFileSync(out.path, text);
}

const launcher = await build({
  ...common,
  entryPoints: ['cli/launch.ts'],
  outfile: LAUNCHER,
  format: 'cjs',
  define: {
    NESTVM_BUNDLE: JSON.stringify({ path: relative(dirname(LAUNCHER), BUNDLE), hash }),
    'import.meta.url': '__nestvmLauncherUrl',
  },
  banner: {
    js: '"use strict";var __nestvmLauncherUrl = require("node:url").pathToFileURL(__filename).href;',
  },
});
for (const out of launcher.outputFiles) writeFileSync(out.path, out.text, { mode: 0o755 });
copyFileSync('cli/nestvm.sh', COMMAND);
chmodSync(COMMAND, 0o755);
writeFileSync(
  SHIM,
  `#!/usr/bin/env node\n// The bundled executable is ${basename(LAUNCHER)}, beside this file.\nimport './${basename(LAUNCHER)}';\n`,
  {
    mode: 0o755,
  },
);
process.stdout.write(
  `bundle-cli: ${COMMAND} (command), ${LAUNCHER} (launcher), ${BUNDLE} (${hash}), ${SHIM}\n`,
);
