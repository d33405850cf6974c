/*
 * Runs the benchmarks one after another, each in its own Node process (a fresh heap and a fresh
 * native engine state per benchmark). Add a benchmark by adding its file to BENCHES; files that
 * are not there (yet) are skipped with a note.
 *
 * Run: npm run bench   (node --import tsx bench/run.ts [name ...] to pick some)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHES = ['loop-ips.ts', 'gpt-map.ts', 'host-scratch.ts'];

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const chosen = wanted.length === 0 ? BENCHES : BENCHES.filter((b) => wanted.some((w) => b.startsWith(w)));
let failed = 0;
for (const bench of chosen) {
  const file = join(here, bench);
  if (!existsSync(file)) {
    process.stdout.write(`== ${bench}: not present, skipped\n`);
    continue;
  }
  process.stdout.write(`== ${bench}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`== ${bench}: exit status ${r.status}\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
