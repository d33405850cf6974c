/*
 * What `nestvm mem` reports: every mapping of a stopped machine, in three tables, as one plain
 * object that is both the --json output and the source of the text (so the two cannot disagree).
 *
 *   guest    the guest's own page tables, while it pages (QEMU `info mem`, xv6 `vmprint`): each
 *            range of guest-virtual addresses with the guest-physical address it reaches and its
 *            rights at supervisor and at user privilege (mmu/guest-walk/guest-map.ts)
 *   nested   the nested page table: each range of guest-physical pages, the host-physical frames
 *            behind them, and the leaf's bits as the format's manual names them
 *            (mmu/gpt/gpt-ranges.ts); pages enter lazily, so only what the guest touched is here
 *   regions  the vmspace's mappings (what the nested table may map on a fault): guest-physical
 *            range, the object behind it (RAM or a device window) and its rights
 *
 * Everything is read without side effects: guest tables by a dry walk through the vmspace's
 * mappings (emulator/debug/debug-memory.ts), nested leaves from host RAM; no Accessed or Dirty bit is set and no hold taken. guestRanges and
 * the other pieces are plain functions of a Machine, for other front ends (gdb's `monitor mem`).
 *
 * JSON addresses are numbers below 2^53 and hex strings above (a high guest-virtual address of an
 * x86 kernel half or an arm64 TTBR1 region); rights are strings such as "rw-".
 */
import type { Machine } from '../emulator/machine.js';
import { hex, hfnToHpa, type Hfn } from '../mmu/addr.js';
import { nestedRanges } from '../mmu/gpt/gpt-ranges.js';
import { guestRanges } from '../mmu/guest-walk/guest-map.js';
import { protString } from '../mmu/prot.js';
import type { RunEnd } from './run-loop.js';
import { stopLine, stopSummary, type StopSummary } from './stopped-machine.js';

export interface GuestRangeReport {
  gva: number | string;
  end: number | string;
  gpa: number;
  size: number;
  pageSize: number;
  kernel: string;
  user: string;
}

export interface NestedRangeReport {
  gpa: number;
  end: number;
  hpa: number;
  size: number;
  bits: string;
  fields: { name: string; bits: string; value: number; meaning: string }[];
}

export interface RegionReport {
  gpa: number;
  end: number;
  object: string;
  kind: string;
  prot: string;
}

export interface MemReport {
  guest: string;
  arch: string;
  stop: StopSummary;
  paging: string | null;
  format: string;
  guestMappings: GuestRangeReport[] | null;
  nested: NestedRangeReport[];
  regions: RegionReport[];
}

const SAFE = Number.MAX_SAFE_INTEGER;
/* A page address as JSON: a number while a double is exact for every integer near it, else hex. */
const jsonPage = (a: number): number | string => (a <= SAFE ? a : hex(a));

/** The guest's own mappings of a stopped machine (null while its paging is off). */
export function guestMappings(machine: Machine): GuestRangeReport[] | null {
  const paging = machine.guestPaging();
  if (paging === null) return null;
  return guestRanges(paging, machine.debug.memory!.tables).map((r) => ({
    gva: jsonPage(r.gva),
    end: jsonPage(r.gva + r.len),
    gpa: r.gpa,
    size: r.len,
    pageSize: r.pageSize,
    kernel: protString(r.kernel),
    user: protString(r.user),
  }));
}

/** The nested map of a stopped machine: guest-physical ranges to host frames, bits named. */
export function nestedMappings(machine: Machine): NestedRangeReport[] {
  return nestedRanges(machine.vm!.vmspace.gpt).map((r) => ({
    gpa: r.gpa,
    end: r.gpa + r.len,
    hpa: hfnToHpa(r.hfn as Hfn),
    size: r.len,
    bits: r.bits,
    fields: r.fields.map((f) => ({ ...f })),
  }));
}

/** The vmspace's mappings, those of one object that follow each other with equal rights merged. */
export function regionMappings(machine: Machine): RegionReport[] {
  const out: RegionReport[] = [];
  for (const m of machine.vm!.vmspace.mappings()) {
    const r = {
      gpa: m.gpa,
      end: m.gpa + m.len,
      object: m.object.name,
      kind: m.object.isMmio ? 'mmio' : 'memory',
      prot: protString(m.prot),
    };
    const prev = out[out.length - 1];
    if (prev && prev.end === r.gpa && prev.object === r.object && prev.prot === r.prot) prev.end = r.end;
    else out.push(r);
  }
  return out;
}

export function memReport(machine: Machine, origin: string, stop: RunEnd): MemReport {
  const paging = machine.guestPaging();
  return {
    guest: origin,
    arch: machine.arch,
    stop: stopSummary(machine, stop),
    paging: paging === null ? null : paging.arch,
    format: machine.vm!.vmspace.format.title,
    guestMappings: guestMappings(machine),
    nested: nestedMappings(machine),
    regions: regionMappings(machine),
  };
}

const h = (a: number | string, width: number): string =>
  typeof a === 'string' ? a : '0x' + a.toString(16).padStart(width, '0');
const size = (n: number): string =>
  n % 2 ** 30 === 0 ? `${n / 2 ** 30}G` : n % 2 ** 20 === 0 ? `${n / 2 ** 20}M` : `${n / 1024}K`;

/** The guest's mappings as lines (also what gdb's `monitor mem` prints). */
export function guestMappingLines(r: Pick<MemReport, 'paging' | 'guestMappings'>): string[] {
  if (r.guestMappings === null) return ['guest paging off: guest-virtual = guest-physical'];
  const out = [`guest-virtual mappings (${r.paging} guest tables; rights: supervisor / user)`];
  for (const g of r.guestMappings)
    out.push(
      `  ${h(g.gva, 16)}-${h(g.end, 16)}  gpa ${h(g.gpa, 8)}  ${size(g.size).padStart(5)} in ${size(g.pageSize)} pages  ${g.kernel} / ${g.user}`,
    );
  if (r.guestMappings.length === 0) out.push('  (none)');
  return out;
}

export function nestedMappingLines(r: Pick<MemReport, 'format' | 'nested'>): string[] {
  const out = [`nested map (${r.format}): guest-physical -> host-physical`];
  for (const n of r.nested)
    out.push(
      `  gpa ${h(n.gpa, 8)}-${h(n.end, 8)} -> hpa ${h(n.hpa, 8)}  ${size(n.size).padStart(5)}  ${n.bits}`,
    );
  if (r.nested.length === 0) out.push('  (nothing mapped yet)');
  return out;
}

function regionLines(r: MemReport): string[] {
  const out = ['regions (what a nested fault may map)'];
  for (const m of r.regions)
    out.push(`  gpa ${h(m.gpa, 8)}-${h(m.end, 8)}  ${m.prot}  ${m.kind.padEnd(6)} ${m.object}`);
  return out;
}

export function memText(r: MemReport): string {
  const lines = [
    stopLine(r.guest, r.stop),
    ...guestMappingLines(r),
    ...nestedMappingLines(r),
    ...regionLines(r),
  ];
  return lines.join('\n') + '\n';
}
