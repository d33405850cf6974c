// Bundles the `nestvm` executable (package.json `bin`, dist/cli/bin.js) into a few files, after
// `tsc -p tsconfig.build.json` has type-checked and built dist/ (`npm run build` runs both).
//
// Why: Node loads an ES module graph file by file, resolving, reading and compiling each; the CLI's
// 160-odd modules (ours, yargs and its helpers) cost about 100 ms of every start. The bundle is
// one file for what every command needs, plus chunks (dist/cli/chunks/) for what only some load
// through a dynamic import (the TUI). dist/index.js, the library, stays tsc's file-per-module build.
//
// What stays outside the bundle, loaded from node_modules at run time:
//   - koffi (a native addon), Keystone and Capstone (CommonJS glue that finds its .wasm file next
//     to itself; emulator/asm/emscripten.ts loads them through createRequire when first used);
//   - Ink and React, which only the TUI loads, and which cli/tui reaches into by file path
//     (cli/tui/ink-output-class.ts), so there must be exactly one copy: node_modules';
//   - every other runtime dependency except those in BUNDLED.
// Lookups relative to the code keep working: emulator/package-root.ts walks up from dist/cli/ to
// package.json, so guests/ and .cache/ are found as before; yargs is given the version explicitly
// (cli/yargs-lean.ts), as from inside a bundle it would look for package.json in the wrong place.
//
// Two plugins keep the bundle doing no more than the module graph did:
//   - yargsShimHome: yargs' platform shim finds its message translations (yargs/locales/*.json,
//     used when LANG names another language) from its own file's URL. In the bundle that URL is
//     dist/cli/bin.js, so the shim is told where yargs is really installed, found at run time.
//   - lazyDefault: in a bundle every ES module's top level runs at start, needed or not. cliui
//     and string-width build Unicode regular expressions and Intl segmenters there (about 20 ms),
//     which only help text uses. Their imports are replaced by a function that loads the real
//     module on its first call (esbuild then wraps it to run on demand).
//
// Run: node scripts/bundle-cli.mjs   (from the package root)
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

// Dependencies compiled into the bundle; all others are external.
const BUNDLED = new Set(['yargs']);
// Bundled modules whose default export is a function that only help text calls.
const LAZY = ['cliui', 'string-width'];

const SHIM_HOME = 'const __dirname = fileURLToPath(import.meta.url);';
const SHIM_HOME_AT_RUN_TIME = `const __dirname = (() => {
  try {
    return createRequire(import.meta.url).resolve('yargs/package.json').replace(/package\\.json$/, 'lib/platform-shims/esm.mjs');
  } catch {
    return fileURLToPath(import.meta.url);
  }
})();`;

const yargsShimHome = {
  name: 'yargs-shim-home',
  setup(b) {
    b.onLoad({ filter: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(SHIM_HOME))
        throw new Error(`${args.path}: yargs changed; update scripts/bundle-cli.mjs`);
      return { contents: text.replace(SHIM_HOME, SHIM_HOME_AT_RUN_TIME), loader: 'js' };
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

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const external = Object.keys(manifest.dependencies ?? {})
  .filter((name) => !BUNDLED.has(name))
  .flatMap((name) => [name, `${name}/*`]);

if (manifest.bin?.nestvm !== 'dist/cli/bin.js')
  throw new Error('package.json bin moved: update scripts/bundle-cli.mjs');

rmSync('dist/cli/chunks', { recursive: true, force: true });
const result = await build({
  entryPoints: { bin: 'cli/bin.ts' },
  outdir: 'dist/cli',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  external,
  plugins: [yargsShimHome, lazyDefault],
  sourcemap: 'linked',
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
});
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
process.stdout.write(`bundle-cli: ${files.length} files (${files.join(', ')})\n`);
