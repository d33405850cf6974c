/*
 * Runs every benchmark (each bench/*.ts file but this one, in name order), each in its own Node
 * process: a fresh heap and a fresh native engine state per benchmark. Arguments pick benchmarks
 * by name prefix (`node --import tsx bench/run.ts loop gpt`).
 *
 * Run: npm run bench
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const here = dirname(self);
const all = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== basename(self))
  .sort();
const wanted = process.argv.slice(2);
const chosen = wanted.length === 0 ? all : all.filter((b) => wanted.some((w) => b.startsWith(w)));
let failed = 0;
for (const bench of chosen) {
  process.stdout.write(`== ${bench}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, bench)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`== ${bench}: exit status ${r.status}\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
