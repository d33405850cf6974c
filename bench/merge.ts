/*
 * Same-page merging: what a scanner pass costs per page, and what merging saves for 2 and 4 copies
 * of the same guest.
 *
 *   scan cost   on the mmu layer alone: VMS vmspaces of PAGES pages each on one host, every page
 *               written (half the pages the same in every VM, the other half different), then
 *               full rounds of the scanner: the first look at a page (hash only), the second (hash,
 *               full compare and the merge itself: the leaf rewritten, the frame given back), and
 *               a round over pages that are all merged or distinct (what a pass costs once the
 *               host has settled). Per page looked at, in this process's CPU time (or --wall).
 *   copies      2 and 4 copies of c-hello (x86-64) on one host, round-robin, without and with
 *               --merge (interval 20,000 instructions): guest frames in use at the end, frames
 *               saved, merges and copy-on-write breaks, and guest instructions per second of CPU
 *               time; each console must be what c-hello prints alone.
 *
 * Run: node --import tsx bench/merge.ts [--wall]   (or through bench/run.ts)
 */
import { loadGuest } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { HostRun } from '../emulator/host-run.js';
import { sharedHost } from '../emulator/nested-host.js';
import { packagePath } from '../emulator/package-root.js';
import { gpa } from '../mmu/addr.js';
import { FORMATS } from '../mmu/gpt/formats.js';
import { FrameAllocator } from '../mmu/host/frame-allocator.js';
import { HostMemory } from '../mmu/host/host-memory.js';
import { Pmap } from '../mmu/host/pmap.js';
import { Reservoir } from '../mmu/host/reservoir.js';
import { TablePool } from '../mmu/host/table-pool.js';
import { PROT_ALL } from '../mmu/prot.js';
import { FrameShares } from '../mmu/vm/frame-shares.js';
import { MergeScanner } from '../mmu/vm/merge-scan.js';
import { VmObject } from '../mmu/vm/vm-object.js';
import { Vmspace } from '../mmu/vm/vmspace.js';

const WALL = process.argv.includes('--wall');
const VMS = 2;
const PAGES = 4096;
const MEM = 2 * 1024 * 1024;

function now(): number {
  if (WALL) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/* VMS vmspaces with every page written and mapped; half the pages equal across the VMs. */
function scanHost() {
  const mem = new HostMemory((VMS * PAGES + 64 * VMS) * 4096);
  const frames = new FrameAllocator(mem, undefined, { zeroed: true });
  const pmap = new Pmap(mem);
  const reservoir = new Reservoir(frames);
  const pool = new TablePool(frames, pmap, { reserve: 0 });
  const shares = new FrameShares(mem.frameCount, reservoir);
  const spaces = [];
  for (let v = 0; v < VMS; v++) {
    const space = new Vmspace({ format: FORMATS.ept, mem, pmap, pool });
    const ram = VmObject.memory(reservoir, PAGES * 4096, { pmap, shares }) as VmObject;
    space.map(ram, gpa(0), PAGES * 4096, 0, PROT_ALL);
    for (let p = 0; p < PAGES; p++) {
      const r = space.fault(gpa(p * 4096), 'read');
      if (r.kind !== 'mapped') throw new Error('bench: no frame');
      const u32 = mem.u32.subarray(r.hfn * 1024, r.hfn * 1024 + 1024);
      u32.fill(p % 2 === 0 ? p : 0x8000_0000 + p * VMS + v); // even pages agree across the VMs
    }
    spaces.push(space);
  }
  const scanner = new MergeScanner(
    spaces.map((space) => ({ space, gpa: gpa(0), pages: PAGES })),
    shares,
    mem,
  );
  return { scanner, shares };
}

function scanCost(): void {
  const { scanner, shares } = scanHost();
  const total = VMS * PAGES;
  console.log(`scan cost: ${VMS} VMs x ${PAGES} pages, half of them the same in every VM`);
  for (const label of ['first look (hash)', 'second look (hash, compare, merge)', 'settled round']) {
    const before = scanner.counters.scanned;
    const t0 = now();
    const merged = scanner.pass(total);
    const ms = now() - t0;
    const looked = scanner.counters.scanned - before;
    const us = looked > 0 ? ((ms * 1000) / looked).toFixed(2) : '-';
    console.log(
      `  ${label.padEnd(36)} ${String(looked).padStart(5)} pages looked at, ${String(merged).padStart(5)} merged, ${us} us/page`,
    );
  }
  console.log(
    `  shared ${shares.counters.shared} frames by ${shares.counters.sharing} pages, ${shares.framesSaved} saved`,
  );
}

async function copies(): Promise<void> {
  const img = await loadGuest(packagePath('guests', 'x86_64', 'c-hello', 'c-hello.elf'), { memBytes: MEM });
  const alone = new Machine(img, { memBytes: MEM });
  alone.run();
  const want = alone.console;
  alone.close();
  console.log('\ncopies of c-hello on one host (x86-64, --mem 2M, merge interval 20,000)');
  for (const n of [2, 4]) {
    for (const merge of [null, { interval: 20_000, pages: 1024 }]) {
      const host = sharedHost(n, MEM, {});
      const machines = Array.from({ length: n }, () => new Machine(img, { memBytes: MEM, host }));
      const run = new HostRun(host, machines, merge);
      const t0 = now();
      while (!run.done) run.slice();
      const ms = now() - t0;
      if (machines.some((m) => m.console !== want)) throw new Error('bench: a console differs');
      const s = run.mergeStats();
      const guest = host.reservoir.inUse;
      const ips = (((run.instructions / ms) * 1000) / 1e6).toFixed(1);
      console.log(
        `  ${n} copies, ${merge ? 'merge' : 'no merge'}: ${guest} guest frames in use, ${s.framesSaved} saved, ${s.merges} merges, ${s.cowBreaks} COW breaks, ${run.multiMapped().length} frames multi-mapped; ${ips} M instructions/s`,
      );
      for (const m of machines) m.close();
    }
  }
}

scanCost();
await copies();
