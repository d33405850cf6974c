/*
 * `npm run fuzz -- [--seed N] [--scale N] [--seconds N]`: run the campaign and print its report.
 * Exit 0 with no failure, 1 otherwise. Run `npm run build` first (the asm cases use the built CLI).
 */
import { parseArgs } from 'node:util';
import { runCampaign } from './campaign.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    scale: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '3600' },
  },
});
const num = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`fuzz: --${name} takes a whole number, got '${v}'\n`);
    process.exit(2);
  }
  return n;
};

const t0 = Date.now();
const report = await runCampaign({
  seed: num('seed', values.seed!),
  scale: num('scale', values.scale!),
  seconds: num('seconds', values.seconds!),
  log: (l) => process.stderr.write(l + '\n'),
});
for (const [name, c] of Object.entries(report.categories))
  console.log(`${name.padEnd(16)} ${String(c.cases).padStart(7)} cases  ${c.failures.length} failures`);
const r = report.rssMiB;
console.log(
  `memory           ${r.machines} Machines, RSS ${r.warm.toFixed(0)} MiB warm -> ${r.end.toFixed(0)} MiB at the end` +
    ` (less ArrayBuffers ${r.nativeWarm.toFixed(0)} -> ${r.nativeEnd.toFixed(0)} MiB)`,
);
console.log(
  `seed ${report.seed}, ${((Date.now() - t0) / 1000).toFixed(0)} s${report.cutShort ? ', cut short by --seconds' : ''}`,
);
const total = Object.values(report.categories).reduce((n, c) => n + c.cases, 0);
console.log(`fuzz: ${total - report.failures} passed, ${report.failures} failed`);
process.exitCode = report.failures === 0 ? 0 : 1;
