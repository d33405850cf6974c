/*
 * Nested page faults per second: a memtouch guest (guests/<arch>/memtouch.s with PAGES raised to
 * 100,000) writes one byte to each of 100,000 fresh pages (~391 MiB of guest RAM, so 400 MiB is
 * given), then reads them back. Every first write is a nested fault: the fill hook misses in the
 * GPT, the vCPU client faults into the vmspace, the vmspace maps the object's frame (leaf PTE,
 * PV entry, leaf tables populated as needed), and the fill is retried. One run per architecture
 * and entry format; the rate is nested faults over the CPU time of the whole run (guest setup
 * excluded; the read pass and the printing are included, so it understates the fault path).
 * Target: >= 100,000 faults/s.
 *
 * In the same run, per architecture, the same guest runs on a raw engine in virtual-TLB mode whose
 * fill hook maps every page to itself and does nothing else (bench/lib/raw-unicorn.ts,
 * rawBareFills): its fills per second are the rate of a bare koffi TLB-fill callback, crossing
 * included. Each row reports nested faults per second as a ratio of that rate (issue 11: target
 * >= 0.5; a nested fault then costs at most two bare callbacks). Both sides time the whole run, the
 * guest's own work and its read pass included. memtouch fills every page twice on both sides (the
 * write pass, and the read pass once the engine's TLB has dropped the page), so that ratio is at
 * most 0.5 even for a nested layer that cost nothing; the row also gives the Machine's fills per
 * second as a ratio of the bare fills per second (same fill count: bare time over Machine time),
 * the like-for-like figure. bench/fault-path.ts measures the TypeScript part of a fault alone.
 *
 * Guest RAM is fresh anonymous memory that the allocator does not zero again (frame-allocator.ts),
 * so the kernel's zero-fill of each page lands on the guest's first touch, inside the timed run.
 * `--with-setup` times the Machine's construction too, which compares like with like against a
 * build that zeroed every frame while it was being constructed.
 *
 * Run: node --import tsx bench/nested-faults.ts [--wall] [--with-setup] [x86_64|arm64 ...]
 *      (or through bench/run.ts)
 */
import { readFileSync } from 'node:fs';
import type { Arch } from '../emulator/arch.js';
import type { GuestImage } from '../emulator/image.js';
import { loadGuestBytes } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { packagePath } from '../emulator/package-root.js';
import { rawBareFills } from './lib/raw-unicorn.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';

const PAGES = 102_400; // 100 Ki pages: 25 << 12, which arm64's cmp can encode as an immediate
const MEM = 420 * 1024 * 1024; // buffer from 2 MiB, 400 MiB of pages, the image and the stack
const WALL = process.argv.includes('--wall');
const WITH_SETUP = process.argv.includes('--with-setup');
const FORMATS: readonly FormatName[] = ['ept', 'npt', 's2'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const ARCHES = (['x86_64', 'arm64'] as Arch[]).filter((a) => wanted.length === 0 || wanted.includes(a));

function now(): number {
  if (WALL) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function memtouch(arch: Arch): Promise<GuestImage> {
  const path = packagePath('guests', arch, 'memtouch.s');
  const src = readFileSync(path, 'utf8').replace(/^(\.equ\s+PAGES\s*,\s*)\d+/m, `$1${PAGES}`);
  return loadGuestBytes(new TextEncoder().encode(src), path, { memBytes: MEM });
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const arch of ARCHES) {
    const img = await memtouch(arch);
    const bare = rawBareFills(img, MEM);
    const bareRate = bare.fills / (bare.ms / 1000);
    rows.push(
      `${arch.padEnd(7)} bare ${bare.fills.toLocaleString('en-US').padStart(8)} bare fills    in ${bare.ms.toFixed(0).padStart(5)} ms` +
        ` = ${Math.round(bareRate).toLocaleString('en-US').padStart(8)} fills/s`,
    );
    for (const format of FORMATS) {
      const t00 = now();
      const m = new Machine(img, { memBytes: MEM, format });
      const t0 = WITH_SETUP ? t00 : now();
      const stop = m.run();
      const ms = now() - t0;
      if (!/read back ok/.test(m.console))
        throw new Error(`${arch}/${format}: memtouch failed: ${stop.message}`);
      const s = m.stats()!;
      const fills = m.fills;
      m.close();
      const rate = s.faults.total / (ms / 1000);
      rows.push(
        `${arch.padEnd(7)} ${format.padEnd(4)} ${s.faults.total.toLocaleString('en-US').padStart(8)} nested faults in ${ms.toFixed(0).padStart(5)} ms` +
          ` = ${Math.round(rate).toLocaleString('en-US').padStart(8)} faults/s = ${(rate / bareRate).toFixed(2)} x bare` +
          ` (fills ${(fills / (ms / 1000) / bareRate).toFixed(2)} x bare)` +
          `  (${fills.toLocaleString('en-US')} fills, ${s.residentPages.toLocaleString('en-US')} pages resident, ${s.tables['1']} leaf tables)`,
      );
    }
  }
  const clock = WALL ? 'wall-clock' : 'CPU time';
  process.stdout.write(
    `nested-faults (one run each, ${clock}, memtouch over ${PAGES} pages)\n${rows.join('\n')}\n`,
  );
}

await main();
