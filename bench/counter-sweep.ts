/*
 * Every sample guest, both architectures, every entry format that applies (EPT and nPT on x86-64,
 * stage-2 on arm64; guest paging on in the paging samples, off in the rest), run with each
 * instruction counter (emulator/unicorn/block-shim.ts) for its whole run and for budgets that end
 * at 1, in the middle of blocks and at block starts (a spread of --max-insns values and slice
 * sizes): one line per case saying whether the count, the stop, the console and the trace (its
 * events' access sites, per block under the block counter, aside) are the same on both.
 *
 * A sweep, not a test (about 30 s of CPU): `npm run sweep:counter`. It exits 1 when any case
 * differs (a port's stop from inside an `out` included: block-count.ts, io-followers.ts).
 */
import type { Arch } from '../emulator/arch.js';
import type { MachineEvent } from '../emulator/events.js';
import { listSamples, loadGuest } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { PACKAGE_ROOT } from '../emulator/package-root.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';

const MEM = 16 << 20;
const BUDGETS = [undefined, 1, 2, 7, 61, 1000, 12345, 300_001];
const SLICES = [2_000_000, 997, 499];

async function runOf(
  path: string,
  arch: Arch,
  format: FormatName,
  counter: 'hook' | 'block',
  max?: number,
  slice?: number,
  cpus?: number,
) {
  const events: string[] = [];
  let consoleText = '';
  const m = new Machine(await loadGuest(path, { memBytes: MEM, arch }), {
    memBytes: MEM,
    format,
    counter,
    maxInsns: max,
    sliceInsns: slice,
    cpus,
    onConsole: (t) => (consoleText += t),
    sink: {
      enabled: true,
      emit: (e: MachineEvent) => {
        const { pc: _pc, insns: _insns, ...rest } = e as { pc?: number; insns?: number };
        events.push(JSON.stringify(rest));
      },
    },
  });
  try {
    const stop = m.run();
    return { insns: m.instructions, stop: JSON.stringify(stop), consoleText, trace: events.join('\n') };
  } finally {
    m.close();
  }
}

async function main(): Promise<void> {
  let bad = 0;
  const smc = (arch: Arch) => ({
    name: `smc-${arch}`,
    arch,
    path: `guests/${arch}/smc.s`,
    exit: 'hlt',
    maxInsns: undefined,
    cpus: undefined,
  });
  const guests = [...listSamples(PACKAGE_ROOT), smc('x86_64'), smc('arm64')];
  for (const s of guests) {
    const formats: FormatName[] = s.arch === 'x86_64' ? ['ept', 'npt'] : ['s2'];
    for (const format of formats) {
      for (const max of BUDGETS.map((m) => m ?? s.maxInsns)) {
        for (const slice of max === undefined ? SLICES : SLICES.slice(0, 1)) {
          const h = await runOf(s.path, s.arch, format, 'hook', max, slice, s.cpus); // smp-sum: its 4
          const b = await runOf(s.path, s.arch, format, 'block', max, slice, s.cpus);
          const diff = (['insns', 'stop', 'consoleText', 'trace'] as const).filter((k) => h[k] !== b[k]);
          if (diff.length > 0) bad++;
          process.stdout.write(
            `${s.name.padEnd(16)} ${format.padEnd(4)} max ${String(max ?? '-').padStart(7)} slice ${String(slice).padStart(7)}  ` +
              `${String(h.insns).padStart(9)} ${String(b.insns).padStart(9)}  ${diff.length === 0 ? 'same' : `DIFF ${diff.join(',')}`}\n`,
          );
        }
      }
    }
  }
  process.stdout.write(
    bad === 0 ? 'counter sweep: every case the same\n' : `counter sweep: ${bad} cases differ\n`,
  );
  process.exitCode = bad === 0 ? 0 : 1;
}

await main();
