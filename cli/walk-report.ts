/*
 * What `walk` reports: the walk of one address after the guest stopped, as one plain object that
 * is both the --json output and the source of the text, so the two cannot disagree.
 *
 *   nested (guest-physical): each entry the nested walk reads, root to leaf (its host-physical
 *   location, its raw value, its named fields), then the host-physical address or "not mapped";
 *   two-dimensional (--virtual): every reference of the walk, guest table entries and the nested
 *   entries that translate them, then the guest-physical and host-physical result, or the guest
 *   page fault that ends it.
 *
 * The walks are read-only (no Accessed or Dirty bit set). Addresses are below 2^53 (the address
 * flag refuses more), so JSON numbers hold them exactly; raw entry values are hex strings.
 */
import type { Machine } from '../emulator/machine.js';
import { gpa as toGpa, gva as toGva, hex, pageAlignDown, pageOffset, PAGE_SIZE } from '../mmu/addr.js';
import type { DecodedEntry } from '../mmu/gpt/entry-format.js';
import { formatWalkRef, gptNestedWalker, walkTwoDimensional } from '../mmu/guest-walk/index.js';
import type { RunEnd } from './run-loop.js';
import { jsonAddress } from './run-report.js';

const LEVEL = ['', 'L1 (leaf table)', 'L2', 'L3', 'L4 (root)'];

export interface NestedStep {
  level: number;
  pte: number;
  entry: string;
  present: boolean;
  /** The named fields that are set, or are multi-bit (bits: 'n' or 'm:n'). */
  fields: { name: string; bits: string; value: number }[];
}

export interface NestedWalkReport {
  kind: 'nested';
  gpa: number;
  format: string;
  root: string;
  steps: NestedStep[];
  hpa: number | null;
  frame: number | null;
}

export interface TwoDimWalkReport {
  kind: 'two-dimensional';
  gva: number;
  paging: string | null;
  format: string;
  refs: string[];
  gpa: number | null;
  hpa: number | null;
  guestFault: { level: number; reason: string } | null;
}

export interface WalkReport {
  guest: string;
  arch: string;
  stop: { reason: string; code: number; instructions: number; pc: number | string };
  walk: NestedWalkReport | TwoDimWalkReport;
}

function shownFields(d: DecodedEntry) {
  return d.fields.filter((f) => f.value !== 0 || f.bits.includes(':'));
}

export function nestedWalk(machine: Machine, address: number): NestedWalkReport {
  const vm = machine.vm!;
  const root = vm.vmspace.rootPointer();
  const steps = vm.vmspace.gpt.explain(toGpa(address)).map((s) => ({
    level: s.level,
    pte: s.pte,
    entry: s.decoded.hex,
    present: s.decoded.present,
    fields: shownFields(s.decoded).map((f) => ({ name: f.name, bits: f.bits, value: f.value })),
  }));
  const leaf = vm.vmspace.gpt.lookup(pageAlignDown(toGpa(address)));
  return {
    kind: 'nested',
    gpa: address,
    format: vm.vmspace.format.title,
    root: vm.vmspace.format.decode(root.lo, root.hi, 'root').hex,
    steps,
    hpa: leaf === null ? null : leaf.frame * PAGE_SIZE + pageOffset(address),
    frame: leaf?.frame ?? null,
  };
}

export function twoDimWalk(machine: Machine, address: number): TwoDimWalkReport {
  const vm = machine.vm!;
  const paging = machine.guestPaging();
  const walk = walkTwoDimensional(
    paging,
    toGva(address),
    'read',
    false,
    gptNestedWalker(vm.vmspace.gpt),
    vm.mem,
  );
  const g = walk.guest;
  return {
    kind: 'two-dimensional',
    gva: address,
    paging: paging === null ? null : paging.arch,
    format: vm.vmspace.format.title,
    refs: walk.refs.map((r) => formatWalkRef(paging, r)),
    gpa: walk.final?.gpa ?? null,
    hpa: walk.final?.hpa ?? null,
    guestFault: g.kind === 'guest-fault' ? { level: g.level, reason: g.reason } : null,
  };
}

export function walkReport(
  machine: Machine,
  origin: string,
  stop: RunEnd,
  walk: WalkReport['walk'],
): WalkReport {
  return {
    guest: origin,
    arch: machine.arch,
    stop: {
      reason: stop.reason,
      code: stop.code,
      instructions: machine.instructions,
      pc: jsonAddress(stop.pc, stop.pc64),
    },
    walk,
  };
}

function nestedText(w: NestedWalkReport): string[] {
  const out = [`nested walk of guest-physical ${hex(w.gpa)} (${w.format})`, `  root pointer ${w.root}`];
  for (const s of w.steps) {
    const named = s.fields.map((f) => `${f.name}=${f.bits.includes(':') ? hex(f.value) : f.value}`).join(' ');
    out.push(`  ${LEVEL[s.level].padEnd(16)} pte @ hpa ${hex(s.pte)} = ${s.entry}`);
    out.push(`  ${''.padEnd(16)} ${s.present ? named : 'not present'}`);
  }
  out.push(
    w.hpa === null || w.frame === null
      ? '  => not mapped: the next guest access here is a nested page fault'
      : `  => host-physical ${hex(w.hpa)} (frame ${hex(w.frame)})`,
  );
  return out;
}

function twoDimText(w: TwoDimWalkReport): string[] {
  const mode = w.paging === null ? 'guest paging off' : `${w.paging} guest paging on`;
  const out = [`two-dimensional walk of guest-virtual ${hex(w.gva)} (${mode}, ${w.format})`];
  for (const ref of w.refs) out.push('  ' + ref);
  if (w.guestFault !== null)
    out.push(`  => guest page fault at level ${w.guestFault.level}: ${w.guestFault.reason}`);
  else if (w.gpa !== null && w.hpa !== null)
    out.push(`  => guest-physical ${hex(w.gpa)}, host-physical ${hex(w.hpa)} (${w.refs.length} references)`);
  else if (w.gpa !== null) out.push(`  => guest-physical ${hex(w.gpa)} is not mapped in the nested tables`);
  return out;
}

/** The walk's own lines (what `walk` prints below its head line, and `monitor walk` in gdb). */
export const walkBodyText = (w: WalkReport['walk']): string[] =>
  w.kind === 'nested' ? nestedText(w) : twoDimText(w);

export function walkText(r: WalkReport): string {
  const head = `; ${r.guest} stopped (${r.stop.reason}) after ${r.stop.instructions} instructions`;
  return [head, ...walkBodyText(r.walk)].join('\n') + '\n';
}
