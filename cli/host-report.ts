/*
 * What `run` reports for several guests on one host (or one guest under --merge): one plain object
 * that is both the --json output and the source of the summary, as run-report.ts is for one guest.
 *
 *   { guests: [ <one guest's report, as run-report.ts makes it>, ... ],
 *     host:   { guests, instructions, exit: {code}, hostFrames, pv: {conversions, multiMapped},
 *               pvPool: {cpuLists, cpuRefills, spills, ringBatches, inUse, taken, returned} },
 *     merge:  { shared, sharing, cowBreaks, framesSaved, merges, passes, scanned, frames: [...],
 *               sharedFrames: [ { hfn, pages, vms: [...], mappers: [ {vm, gpa, pte, prot} ] } ] } }
 *
 * Each guest's report has its own console, exit, instructions and vmspace figures; the host's
 * figures (frames in use, PV lists, the PV pool) are the same in every guest's report and are
 * given once, in `host`: a guest of several vCPUs keeps its `cpus` rows (each vCPU's own PV list)
 * and `quantum`, but its `pvPool` (the host's pool) moves to `host.pvPool`, which has one per-CPU
 * list per vCPU of every guest. `merge.frames` answers "who maps frame X?" for the most-mapped frames, from their PV
 * lists; `merge.sharedFrames` lists every shared frame at the end, the VM of each page that uses it,
 * and each PTE that maps it (VM, guest-physical page, entry location, rights). The exit status is the first non-zero guest status, in command-line order (0 when every
 * guest's is 0). Key names are a contract (README, "Several guests on one host"): add, never rename.
 */
import type { GuestImage } from '../emulator/image.js';
import type { FrameMapper, HostRun, MergeStats, SharedFrame } from '../emulator/host-run.js';
import type { HostFrames } from '../emulator/nested-vm.js';
import { groupDigits } from './count-text.js';
import type { RunEnd } from './run-loop.js';
import { runReport, summaryText, type RunReport } from './run-report.js';
import { pvPoolFigures, type PvPoolFigures } from '../emulator/smp/smp-stats.js';

/** At most this many multi-mapped frames are listed with their mappers. */
const FRAMES_LISTED = 4;

export interface HostReport {
  guests: RunReport[];
  host: {
    guests: number;
    instructions: number;
    exit: { code: number };
    hostFrames: HostFrames;
    pv: { conversions: number; multiMapped: number };
    pvPool: PvPoolFigures & { cpuLists: number };
  };
  merge:
    (MergeStats & { frames: { hfn: number; mappers: FrameMapper[] }[]; sharedFrames: SharedFrame[] }) | null;
}

/** The first non-zero status in guest order, or 0. */
export function hostExitCode(stops: readonly RunEnd[]): number {
  return stops.find((s) => s.code !== 0)?.code ?? 0;
}

export function hostReport(
  images: readonly GuestImage[],
  run: HostRun,
  stops: readonly RunEnd[],
  merging: boolean,
): HostReport {
  const guests = images.map((img, i) => {
    const { pvPool: _, ...own } = runReport(img, run.machines[i], stops[i]);
    return own;
  });
  const multi = run.multiMapped();
  const frames = multi.slice(0, FRAMES_LISTED).map((f) => ({ hfn: f, mappers: run.whoMaps(f) }));
  return {
    guests,
    host: {
      guests: images.length,
      instructions: run.instructions,
      exit: { code: hostExitCode(stops) },
      hostFrames: run.machines[0].vm!.hostFrames(),
      pv: { conversions: run.host.pmap.heads.conversions, multiMapped: multi.length },
      pvPool: { cpuLists: run.host.pmap.pool.cpus, ...pvPoolFigures(run.host.pmap.pvStats) },
    },
    merge: merging ? { ...run.mergeStats(), frames, sharedFrames: run.sharedFrames() } : null,
  };
}

const n = groupDigits;
const hex = (v: number): string => `0x${v.toString(16)}`;
const rights = (p: number): string => `${p & 1 ? 'r' : '-'}${p & 2 ? 'w' : '-'}${p & 4 ? 'x' : '-'}`;

/* The rows of a guest's summary that are the host's (the same in every guest's): said once, below. */
const HOST_ROWS = /^ {2}(host frames|pv tracking|pv pools) /;

/** `[vmN] ` before each line of a guest's summary, without the host's rows. */
function tagged(i: number, text: string): string {
  return text
    .split('\n')
    .filter((l) => !HOST_ROWS.test(l))
    .map((l) => (l === '' ? l : `[vm${i}] ${l}`))
    .join('\n');
}

/* The host's PV pool: its per-CPU lists (a vCPU each), refills from the ring, and the entries. */
function poolText(p: HostReport['host']['pvPool']): string {
  const lists = `${n(p.cpuLists)} per-CPU list${p.cpuLists === 1 ? '' : 's'}`;
  return `${lists}; ${n(p.cpuRefills)} per-CPU refills from the ring, ${n(p.spills)} spills, ${n(p.inUse)} entries in use (${n(p.taken)} taken, ${n(p.returned)} returned)`;
}

/** The summary: each guest's, tagged, then the host's totals and merging. */
export function hostSummaryText(r: HostReport): string {
  const out = r.guests.map((g, i) => tagged(i, summaryText({ ...g, console: '' })));
  const h = r.host;
  const row = (label: string, text: string) => `  ${label.padEnd(15)} ${text}`;
  const lines = [
    `nestvm: host ran ${h.guests} guest${h.guests === 1 ? '' : 's'}, ${n(h.instructions)} instructions in all, exit status ${h.exit.code}`,
    row(
      'host frames',
      `${n(h.hostFrames.inUse)} of ${n(h.hostFrames.total)} in use (${n(h.hostFrames.guest)} guest pages, ${n(h.hostFrames.tables)} for page tables)`,
    ),
    row(
      'pv tracking',
      `${n(h.pv.conversions)} list conversions, ${n(h.pv.multiMapped)} frames mapped more than once`,
    ),
    row('pv pools', poolText(h.pvPool)),
  ];
  const m = r.merge;
  if (m !== null) {
    lines.push(
      row(
        'merging',
        `${n(m.shared)} frames shared by ${n(m.sharing)} pages, ${n(m.framesSaved)} frames saved; ${n(m.merges)} merges, ${n(m.cowBreaks)} copy-on-write breaks; ${n(m.passes)} passes looked at ${n(m.scanned)} pages`,
      ),
    );
    for (const f of m.frames) {
      const who = f.mappers.map((p) => `vm${p.vm} ${hex(p.gpa)} ${rights(p.prot)} (pte ${hex(p.pte)})`);
      lines.push(row(`frame ${hex(f.hfn)}`, `mapped by ${who.join(', ')}`));
    }
  }
  return out.join('') + lines.join('\n') + '\n';
}
