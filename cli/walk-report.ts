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
 * Levels are named as each manual names them (cli/walk-refs.ts): x86 entries PML4E ... PTE, on both
 * sides of an x86-64 walk (EPT and nPT name theirs as the guest's); arm64 L0 ... L3, stage-1 and
 * stage-2 alike. References are numbered from 1 and counted as the TUI counts them (refNumber,
 * refCount): a 4 x 4-level walk has 24, and its data access is the result, not a 25th.
 *
 * The walks are read-only (no Accessed or Dirty bit set). Addresses are below 2^53 (the address
 * flag refuses more), so JSON numbers hold them exactly; raw entry values are hex strings.
 */
import type { Machine } from '../emulator/machine.js';
import { gpa as toGpa, gva as toGva, hex, pageAlignDown, pageOffset, PAGE_SIZE } from '../mmu/addr.js';
import { levelName, type DecodedEntry } from '../mmu/gpt/entry-format.js';
import { gptNestedWalker, refCount, walkTwoDimensional } from '../mmu/guest-walk/index.js';
import type { RunEnd } from './run-loop.js';
import { stopLine, stopSummary, type StopSummary } from './stopped-machine.js';
import { walkRefViews, type WalkRefView } from './walk-refs.js';

/** A field as the reports show it: set single bits, and every multi-bit field. */
interface ShownField {
  name: string;
  bits: string;
  value: number;
}

export interface NestedStep {
  /** GPT level (4 = root ... 1 = leaf table) and its name in the format's manual. */
  level: number;
  name: string;
  pte: number;
  entry: string;
  present: boolean;
  /** The named fields that are set, or are multi-bit (bits: 'n' or 'm:n'). */
  fields: ShownField[];
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
  /** Every reference, numbered from 1 (cli/walk-refs.ts), with its text line. */
  refs: (Omit<WalkRefView, 'lo' | 'hi'> & { text: string })[];
  /** How many references the walk made (refs.length: the data access is not one). */
  references: number;
  gpa: number | null;
  hpa: number | null;
  guestFault: { level: number; reason: string } | null;
}

export interface WalkReport {
  guest: string;
  arch: string;
  stop: StopSummary;
  walk: NestedWalkReport | TwoDimWalkReport;
}

function shownFields(fields: DecodedEntry['fields'] | WalkRefView['fields']): ShownField[] {
  return fields
    .filter((f) => f.value !== 0 || f.bits.includes(':'))
    .map((f) => ({ name: f.name, bits: f.bits, value: f.value }));
}

const fieldsText = (fields: readonly ShownField[]): string =>
  fields.map((f) => `${f.name}=${f.bits.includes(':') ? hex(f.value) : f.value}`).join(' ');

export function nestedWalk(machine: Machine, address: number): NestedWalkReport {
  const vm = machine.vm!;
  const root = vm.vmspace.rootPointer();
  const steps = vm.vmspace.gpt.explain(toGpa(address)).map((s) => ({
    level: s.level,
    name: levelName(vm.vmspace.format, s.level),
    pte: s.pte,
    entry: s.decoded.hex,
    present: s.decoded.present,
    fields: shownFields(s.decoded.fields),
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
  // The privilege the vCPU runs at now, as the TUI's walk uses (machine-port.ts).
  const walk = walkTwoDimensional(
    paging,
    toGva(address),
    'read',
    machine.userMode(),
    gptNestedWalker(vm.vmspace.gpt),
    vm.mem,
  );
  const g = walk.guest;
  const refs = walkRefViews(walk, paging, vm.vmspace.format).map(({ lo: _lo, hi: _hi, ...r }) => ({
    ...r,
    text: refLine(r),
  }));
  return {
    kind: 'two-dimensional',
    gva: address,
    paging: paging === null ? null : paging.arch,
    format: vm.vmspace.format.title,
    refs,
    references: refCount(walk),
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
    stop: stopSummary(machine, stop),
    walk,
  };
}

/* One reference as a line: its number, side, level name, where it was read and what it holds. */
function refLine(r: Omit<WalkRefView, 'lo' | 'hi'>): string {
  const n = `#${r.n}`.padEnd(4);
  if (r.space === 'guest')
    return `${n}guest  ${r.level.padEnd(6)} gpa ${hex(r.gpa)} (hpa ${hex(r.hpa)}) = ${r.raw} ${r.note}`;
  return `${n}nested ${r.level.padEnd(6)} ${r.note} gpa ${hex(r.gpa)}: pte hpa ${hex(r.hpa)} = ${r.raw}`;
}

const ROLE = ['', ' (leaf table)', '', '', ' (root)'];

function nestedText(w: NestedWalkReport): string[] {
  const out = [`nested walk of guest-physical ${hex(w.gpa)} (${w.format})`, `  root pointer ${w.root}`];
  for (const s of w.steps) {
    out.push(`  ${(s.name + ROLE[s.level]).padEnd(18)} pte @ hpa ${hex(s.pte)} = ${s.entry}`);
    out.push(`  ${''.padEnd(18)} ${s.present ? fieldsText(s.fields) : 'not present'}`);
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
  for (const ref of w.refs) out.push('  ' + ref.text, `      ${fieldsText(shownFields(ref.fields))}`);
  if (w.guestFault !== null)
    out.push(`  => guest page fault at level ${w.guestFault.level}: ${w.guestFault.reason}`);
  else if (w.gpa !== null && w.hpa !== null)
    out.push(`  => guest-physical ${hex(w.gpa)}, host-physical ${hex(w.hpa)} (${w.references} references)`);
  else if (w.gpa !== null) out.push(`  => guest-physical ${hex(w.gpa)} is not mapped in the nested tables`);
  return out;
}

/** The walk's own lines (what `walk` prints below its head line, and `monitor walk` in gdb). */
export const walkBodyText = (w: WalkReport['walk']): string[] =>
  w.kind === 'nested' ? nestedText(w) : twoDimText(w);

export function walkText(r: WalkReport): string {
  return [stopLine(r.guest, r.stop), ...walkBodyText(r.walk)].join('\n') + '\n';
}
