/*
 * Start-up time of the `nestvm` executable, against `node -e 0` (the floor any Node CLI pays) and,
 * where it is installed, QEMU booting the same tiny ELF, all in the same run:
 *
 *   node -e 0                                      Node's own start and exit
 *   node -e 0 with NODE_EXTRA_CA_CERTS empty       (only when it is set) Node 20 builds its whole
 *                                                  root certificate store at start when the variable
 *                                                  names a file: tens of milliseconds before any
 *                                                  JavaScript runs, on every start
 *   node: koffi and libunicorn                     the native part every run loads: koffi's addon
 *                                                  and the Unicorn library set-up recorded
 *   nestvm --version                               the launcher, the bundle and argument parsing
 *   nestvm run guests/arm64/c-hello/c-hello.elf    a tiny ELF guest (arm64), start to summary
 *   nestvm run guests/x86_64/c-hello/c-hello.elf   the same on x86-64
 *   nestvm run guests/x86_64/hello.s               a tiny assembly guest, warm: the assembled-
 *                                                  program cache answers (emulator/asm/program-cache.ts)
 *   the same with NESTVM_ASM_CACHE=off             cold: Keystone starts and assembles it
 *   the arm64 ELF with NESTVM_COMPILE_CACHE=off    the bundle compiled afresh (cli/launch.ts)
 *   node dist/cli/nestvm.cjs run <arm64 ELF>       (only when NODE_EXTRA_CA_CERTS is set) the
 *                                                  launcher started by Node itself, which then
 *                                                  builds the store the `nestvm` shell command
 *                                                  spares it (cli/nestvm.sh)
 *   qemu-system-aarch64 -M virt -kernel <arm64 ELF> (skipped, with a note, when not installed)
 *
 * `nestvm` is the built executable, package.json's `bin` (build it first with `npm run build`). The
 * commands run in turn, round after round, after one warm-up round (which also fills the compile
 * cache), so a change in the machine's load hits all of them alike. Each figure is the median and
 * the minimum over the rounds, of wall time and of the child's CPU time (bench/lib/child-time.ts),
 * the ratio of the median wall time to that of `node -e 0` and the difference between the two. The
 * load average is printed, as the machine may be shared.
 *
 * Run: node --import tsx bench/startup.ts [--runs N]   (or `npm run bench:startup`)
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { delimiter, join } from 'node:path';
import { packagePath, PACKAGE_ROOT } from '../emulator/package-root.js';
import { readRecord } from '../emulator/unicorn/library-cache.js';
import {
  hasBashTime,
  summarise,
  timeChild,
  type ChildCommand,
  type Sample,
  type Summary,
} from './lib/child-time.js';

interface Case {
  readonly label: string;
  readonly cmd: ChildCommand;
}

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 11;
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs takes a whole number >= 1');

const ARM64_ELF = 'guests/arm64/c-hello/c-hello.elf';
const X86_ELF = 'guests/x86_64/c-hello/c-hello.elf';
const X86_ASM = 'guests/x86_64/hello.s';

function binPath(): string {
  const manifest = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as {
    bin: { nestvm: string };
  };
  const bin = packagePath(manifest.bin.nestvm);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run 'npm run build' first`);
  return bin;
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return null;
}

/** An executable started as a shell starts it (the `nestvm` command, QEMU), expected to exit 0. */
const command = (label: string, file: string, args: string[], env?: Record<string, string>): Case => ({
  label,
  cmd: { file, args, cwd: PACKAGE_ROOT, status: 0, timeoutMs: 30_000, env },
});

const node = (label: string, args: string[], env?: Record<string, string>): Case =>
  command(label, process.execPath, args, env);

const CA = 'NODE_EXTRA_CA_CERTS';
const LAUNCHER = 'dist/cli/nestvm.cjs';
const NO_CA = { [CA]: '' }; // empty: Node loads no extra certificates, and so builds no store

/** koffi and the recorded libunicorn loaded, as every `run` does before its Machine. */
function nativeFloor(): Case | null {
  const library = readRecord(process.env, PACKAGE_ROOT)?.library;
  if (library === undefined) return null;
  return node('node: koffi and libunicorn', ['-e', "require('koffi').load(process.argv[1])", library]);
}

function cases(): { list: Case[]; notes: string[] } {
  const bin = binPath();
  const withCa = (process.env[CA] ?? '') !== '';
  const list = [
    node('node -e 0', ['-e', '0']),
    ...(withCa ? [node(`${CA}= node -e 0`, ['-e', '0'], NO_CA)] : []),
    ...[nativeFloor()].filter((c): c is Case => c !== null),
    command('nestvm --version', bin, ['--version']),
    command(`nestvm run ${ARM64_ELF}`, bin, ['run', ARM64_ELF]),
    command(`nestvm run ${X86_ELF}`, bin, ['run', X86_ELF]),
    command(`nestvm run ${X86_ASM}`, bin, ['run', X86_ASM]),
    command(`NESTVM_ASM_CACHE=off nestvm run ${X86_ASM}`, bin, ['run', X86_ASM], { NESTVM_ASM_CACHE: 'off' }),
    command(`NESTVM_COMPILE_CACHE=off nestvm run ${ARM64_ELF}`, bin, ['run', ARM64_ELF], {
      NESTVM_COMPILE_CACHE: 'off',
    }),
    // The launcher started by Node directly, as before the shell command: it pays for the store.
    ...(withCa ? [node(`node ${LAUNCHER} run ${ARM64_ELF}`, [packagePath(LAUNCHER), 'run', ARM64_ELF])] : []),
  ];
  const notes: string[] = [];
  const qemu = onPath('qemu-system-aarch64');
  if (qemu === null) notes.push('qemu-system-aarch64 is not installed: the QEMU row is skipped');
  else {
    // The guest ends with PSCI SYSTEM_OFF, which QEMU's virt board answers by exiting with 0.
    const args = ['-M', 'virt', '-cpu', 'cortex-a57', '-nographic', '-kernel', ARM64_ELF];
    list.push(command(`qemu-system-aarch64 -M virt -kernel ${ARM64_ELF}`, qemu, args));
  }
  if (nativeFloor() === null) notes.push('no libunicorn recorded (run set-up): the koffi row is skipped');
  if (withCa)
    notes.push(
      `${CA} is set here: the ${CA}= row shows what Node costs without it, the node ${LAUNCHER} row what nestvm would cost without its shell command`,
    );
  if (!hasBashTime()) notes.push('no /bin/bash: wall time only, taken around spawnSync');
  return { list, notes };
}

const ms = (v: number | null): string => (v === null ? '-' : v.toFixed(0)).padStart(6);

function table(list: readonly Case[], sums: readonly Summary[]): string {
  const floor = sums[0].medianWall;
  const width = Math.max(...list.map((c) => c.label.length));
  const head = `${'command'.padEnd(width)} | wall ms: median    min | cpu ms: median    min | wall / node -e 0 | wall - node -e 0`;
  const rows = list.map((c, i) => {
    const s = sums[i];
    const ratio = (s.medianWall / floor).toFixed(2);
    const above = ms(s.medianWall - floor);
    return `${c.label.padEnd(width)} |          ${ms(s.medianWall)} ${ms(s.minWall)} |         ${ms(s.medianCpu)} ${ms(s.minCpu)} |           ${ratio.padStart(6)} |           ${above}`;
  });
  return [head, ...rows].join('\n');
}

function main(): void {
  const { list, notes } = cases();
  for (const c of list) timeChild(c.cmd); // one warm-up round: the file cache, not the figures
  const before = loadavg()[0];
  const samples: Sample[][] = list.map(() => []);
  for (let round = 0; round < RUNS; round++) list.forEach((c, i) => samples[i].push(timeChild(c.cmd)));
  const after = loadavg()[0];
  const lines = [
    `startup (${RUNS} rounds, commands in turn; load average ${before.toFixed(2)} before, ${after.toFixed(2)} after)`,
    table(list, samples.map(summarise)),
    ...notes.map((n) => `note: ${n}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main();
