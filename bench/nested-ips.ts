/*
 * Steady-state guest instructions per second under the nested paging layer, per architecture and
 * per entry format, against raw Unicorn on the same guest, in one process and ONE run each:
 *
 *   nestvm         the Machine: virtual-TLB mode, every TLB miss through the fill hook, the GPT
 *                  walk and nested faults (EPT / nPT / stage-2 tables), exact counted slices
 *   raw, counted   raw Unicorn: its own TLB (UC_TLB_CPU), guest RAM mapped directly at its
 *                  guest-physical addresses, no fill hook, the same counted slices
 *   raw, free      the raw engine in one uc_emu_start with no count (its rate uses the count the
 *                  Machine measured on this deterministic guest)
 *
 * The guest is guests/<arch>/loop.s with ITERATIONS raised to 10 million (the loop dominates: a
 * steady state in which Unicorn's TLB is warm and the fill hook is quiet). The raw runs answer the
 * loop's console I/O with minimal hooks so all runs execute the same instructions. One raw run is
 * made first and not reported (the first engine of a process pays one-time costs); then, per
 * format, raw counted, nestvm and raw free run once each, in that order. Times are this process's
 * CPU time (--wall for wall clock). Target: nestvm / raw counted >= 0.95.
 *
 * Run: node --import tsx bench/nested-ips.ts [--wall]   (or through bench/run.ts)
 */
import { readFileSync } from 'node:fs';
import { LAYOUT, type Arch } from '../emulator/arch.js';
import type { GuestImage } from '../emulator/image.js';
import { loadGuestBytes } from '../emulator/loaders/index.js';
import { DEFAULT_SLICE_INSNS, Machine } from '../emulator/machine.js';
import { packagePath } from '../emulator/package-root.js';
import { UC_PROT_ALL } from '../emulator/unicorn/constants.js';
import { PC_REG } from '../emulator/unicorn/registers.js';
import { Unicorn } from '../emulator/unicorn/unicorn.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';

const MEM = 16 * 1024 * 1024;
const ITERATIONS = 10_000_000;
const WALL = process.argv.includes('--wall');
const FORMATS: readonly FormatName[] = ['ept', 'npt', 's2'];

function now(): number {
  if (WALL) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Figure {
  readonly ms: number;
  readonly insns: number;
}

async function loopGuest(arch: Arch): Promise<GuestImage> {
  const path = packagePath('guests', arch, 'loop.s');
  const src = readFileSync(path, 'utf8').replace(/^(\.equ\s+ITERATIONS\s*,\s*)\d+/m, `$1${ITERATIONS}`);
  return loadGuestBytes(new TextEncoder().encode(src), path, { memBytes: MEM });
}

function nestvm(img: GuestImage, format: FormatName): Figure {
  const m = new Machine(img, { memBytes: MEM, format });
  const t0 = now();
  const stop = m.run();
  const ms = now() - t0;
  if (stop.code !== 0) throw new Error(`loop guest stopped badly: ${stop.message}`);
  const insns = m.instructions;
  m.close();
  return { ms, insns };
}

/* A raw engine: guest RAM at its guest-physical address, the engine's own TLB, tiny device hooks. */
function rawEngine(img: GuestImage): { uc: Unicorn; stopped: () => boolean } {
  const base = LAYOUT[img.arch].ramBase;
  const ram = new ArrayBuffer(MEM);
  for (const s of img.segments) new Uint8Array(ram).set(s.data, s.gpa - base);
  const uc = Unicorn.open(img.arch);
  uc.mapPtr(base, ram, UC_PROT_ALL);
  let stopped = false;
  const stop = () => {
    stopped = true;
    uc.emuStop();
  };
  if (img.arch === 'x86_64') {
    uc.hookIn(() => 0x60); // 16550 LSR: transmitter empty
    uc.hookOut(() => {});
    uc.hookIntr(stop);
  } else {
    uc.mmioMap(
      0x0900_0000,
      0x1000,
      (off) => (off === 0x18 ? 0x90 : 0), // PL011 flags: never full
      () => {},
    );
    uc.hookIntr(stop); // the PSCI hvc at the end
  }
  uc.regWrite(img.arch === 'x86_64' ? 'rsp' : 'sp', base + MEM);
  uc.regWrite(PC_REG[img.arch], img.entry);
  return { uc, stopped: () => stopped };
}

function rawCounted(img: GuestImage): Figure {
  const { uc, stopped } = rawEngine(img);
  let insns = 0;
  const t0 = now();
  for (;;) {
    const err = uc.emuStart(uc.regRead(PC_REG[img.arch]), 0, 0, DEFAULT_SLICE_INSNS);
    insns += uc.instructionsLastRun();
    if (err !== 0 || stopped() || !uc.budgetExhaustedLastRun()) break;
  }
  const ms = now() - t0;
  uc.close();
  return { ms, insns };
}

function rawFree(img: GuestImage, insns: number): Figure {
  const { uc } = rawEngine(img);
  const t0 = now();
  uc.emuStart(img.entry, 0, 0, 0);
  const ms = now() - t0;
  uc.close();
  return { ms, insns };
}

const mips = (f: Figure): string => (f.insns / f.ms / 1000).toFixed(1).padStart(7);

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const arch of ['x86_64', 'arm64'] as Arch[]) {
    const img = await loopGuest(arch);
    rawCounted(img); // warm-up, not reported: the first engine of a process pays one-time costs
    for (const format of FORMATS) {
      const counted = rawCounted(img);
      const n = nestvm(img, format);
      if (counted.insns !== n.insns) {
        throw new Error(`${arch}: raw run counted ${counted.insns} instructions, nestvm ${n.insns}`);
      }
      const free = rawFree(img, n.insns);
      rows.push(
        `${arch.padEnd(7)} ${format.padEnd(4)} ${n.insns.toLocaleString('en-US').padStart(11)} insns | MIPS: nestvm ${mips(n)}` +
          `  raw counted ${mips(counted)}  raw free ${mips(free)} | nestvm/raw counted ${(counted.ms / n.ms).toFixed(3)}` +
          `  nestvm/raw free ${(free.ms / n.ms).toFixed(3)}`,
      );
    }
  }
  const clock = WALL ? 'wall-clock' : 'CPU time';
  process.stdout.write(
    `nested-ips (one run each, ${clock}, loop guest with ${ITERATIONS} steps)\n${rows.join('\n')}\n`,
  );
}

await main();
