/*
 * gdb's `monitor ...` (the qRcmd packet): nestvm's own inspection, run on the stopped machine and
 * answered as text that gdb prints as it is.
 *
 *   walk ADDR          the nested walk of a guest-physical address, as `nestvm walk` prints it
 *   walk -v ADDR       the two-dimensional walk of a guest-virtual address (`walk --virtual`)
 *   gva2gpa ADDR       the guest's own translation, by a dry walk of its tables
 *   gpa2hpa ADDR       the nested translation (through the GPT, else the mapping's frame)
 *   info tlb           the translations Unicorn's TLB may hold, as the fill hook granted them
 *   mem                the guest's mappings and the nested map, as `nestvm mem` prints them
 *   xp /N ADDR         N 64-bit words of guest-physical memory
 *   stats              the run's nested-paging figures (the summary `run` prints)
 *   harvest            a dirty-log harvest of guest RAM (get and clear)
 *   evict GPA          disconnect the host frame behind a guest-physical page
 *   help               this list
 *
 * Every reader is side-effect free (walk-report.ts, DebugMemory); harvest and evict are the
 * library verbs the TUI keys use, so they are 'action' events in the trace. A command it does not
 * know, or a bad address, is answered with one line saying so, never an error packet: gdb shows
 * the line to the user.
 */
import { LAYOUT } from '../../emulator/arch.js';
import type { Machine } from '../../emulator/machine.js';
import { gpa as toGpa, gva as toGva, hex, PAGE_SIZE, pageAlignDown } from '../../mmu/addr.js';
import { protString } from '../../mmu/prot.js';
import { guestMappingLines, guestMappings, nestedMappingLines, nestedMappings } from '../mem-report.js';
import { nestedLines } from '../run-report.js';
import { nestedWalk, twoDimWalk, walkBodyText } from '../walk-report.js';
import type { Watches } from './watches.js';

export const MONITOR_HELP = [
  'nestvm monitor commands:',
  '  walk ADDR       nested walk of a guest-physical address',
  '  walk -v ADDR    two-dimensional walk of a guest-virtual address',
  '  gva2gpa ADDR    guest-virtual -> guest-physical (dry walk of the guest tables)',
  '  gpa2hpa ADDR    guest-physical -> host-physical (nested tables)',
  '  info tlb        translations the fill hook granted since the last TLB flush',
  '  mem             the guest mappings and the nested map (as nestvm mem)',
  '  xp /N ADDR      N 64-bit words of guest-physical memory',
  '  stats           nested-paging figures of the run so far',
  '  harvest         dirty-log harvest of guest RAM (get and clear)',
  '  evict GPA       disconnect the host frame behind a guest-physical page',
  '  help            this list',
];

/** One address argument: 0x hex or decimal, below 2^53; null otherwise. */
function addressArg(text: string | undefined): number | null {
  if (text === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(text.replace(/_/g, ''))) return null;
  const n = Number(text.replace(/_/g, ''));
  return Number.isSafeInteger(n) ? n : null;
}

const lines = (out: string[]): string => out.join('\n') + '\n';

/** Run one monitor command; the text gdb prints. */
export function runMonitor(machine: Machine, watches: Watches, command: string): string {
  const words = command.trim().split(/\s+/);
  const [verb, ...rest] = words;
  if (machine.vm === null) return 'nestvm: this machine has no nested paging layer\n';
  switch (verb) {
    case 'help':
    case '':
      return lines(MONITOR_HELP);
    case 'walk':
      return walkCommand(machine, rest);
    case 'gva2gpa':
    case 'gpa2hpa':
      return translateCommand(machine, verb, rest[0]);
    case 'info':
      return rest[0] === 'tlb'
        ? tlbText(machine)
        : `nestvm: info ${rest[0] ?? ''}: only 'info tlb' is known\n`;
    case 'mem':
      return lines(memText(machine, watches));
    case 'xp':
      return xpCommand(machine, rest);
    case 'stats':
      return lines(nestedLines({ ...machine.stats()!, fills: machine.fills }));
    case 'harvest':
      return harvestText(machine);
    case 'evict':
      return evictCommand(machine, rest[0]);
    default:
      return `nestvm: unknown monitor command '${verb}' (try 'monitor help')\n`;
  }
}

function walkCommand(machine: Machine, args: string[]): string {
  const virtual = args[0] === '-v';
  const addr = addressArg(virtual ? args[1] : args[0]);
  if (addr === null) return 'nestvm: usage: walk [-v] ADDR (ADDR as 0x... or decimal)\n';
  return lines(walkBodyText(virtual ? twoDimWalk(machine, addr) : nestedWalk(machine, addr)));
}

function translateCommand(machine: Machine, verb: 'gva2gpa' | 'gpa2hpa', arg: string | undefined): string {
  const addr = addressArg(arg);
  if (addr === null) return `nestvm: usage: ${verb} ADDR\n`;
  const mem = machine.debug.memory!;
  if (verb === 'gva2gpa') {
    const g = mem.gvaToGpa(toGva(addr));
    const mode = machine.guestPaging() === null ? ' (guest paging off)' : '';
    return g === null
      ? `guest-virtual ${hex(addr)}: the guest's tables do not map it\n`
      : `guest-virtual ${hex(addr)} -> guest-physical ${hex(g)}${mode}\n`;
  }
  const s = mem.source(toGpa(addr));
  if (s === null) return `guest-physical ${hex(addr)}: not guest RAM\n`;
  if (s.kind === 'zero')
    return `guest-physical ${hex(addr)}: no host frame yet (never touched: reads as zeros)\n`;
  if (s.kind === 'swapped')
    return `guest-physical ${hex(addr)}: swapped out, no host frame (its content is in the swap store)\n`;
  const present = machine.frameOf(toGpa(addr)) !== null;
  return `guest-physical ${hex(addr)} -> host-physical ${hex(s.hpa)}${present ? '' : ' (no nested leaf yet: the next guest access faults it in)'}\n`;
}

function tlbText(machine: Machine): string {
  const { grants, flushes } = machine.debug.tlbEntries();
  const out = [
    `translations Unicorn's TLB may hold (granted by the fill hook since the last flush): ${grants.length}`,
  ];
  for (const g of grants) {
    out.push(
      `  gva ${hex(g.gvaPage).padStart(18)} -> hpa ${hex(g.hpaPage).padStart(10)} ${protString(g.prot)} (${g.access} fill)`,
    );
  }
  if (flushes === 0 && grants.length === 0)
    out.push('  (recording starts now: fills from here on are listed)');
  return lines(out);
}

/* The guest's own mappings and the nested map, as `nestvm mem` prints them (mem-report.ts). */
function memText(machine: Machine, watches: Watches): string[] {
  const paging = machine.guestPaging();
  const out = [
    ...guestMappingLines({ paging: paging?.arch ?? null, guestMappings: guestMappings(machine) }),
    ...nestedMappingLines({ format: machine.vm!.vmspace.format.title, nested: nestedMappings(machine) }),
  ];
  if (watches.count > 0) out.push(`(${watches.count} watchpoint(s): their pages have rights withheld)`);
  return out;
}

function xpCommand(machine: Machine, args: string[]): string {
  const count = /^\/(\d+)$/.exec(args[0] ?? '');
  const addr = addressArg(count ? args[1] : args[0]);
  const n = count ? Number(count[1]) : 1;
  if (addr === null || n < 1 || n > 512)
    return 'nestvm: usage: xp /N ADDR (N from 1 to 512 words of 8 bytes)\n';
  const r = machine.debug.memory!.readSpace('gpa', addr, n * 8);
  const view = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.length);
  const out: string[] = [];
  for (let i = 0; i < n && (i + 1) * 8 <= r.bytes.length; i += 2) {
    const words: string[] = [];
    for (let j = i; j < Math.min(n, i + 2) && (j + 1) * 8 <= r.bytes.length; j++)
      words.push(
        '0x' +
          view
            .getBigUint64(j * 8, true)
            .toString(16)
            .padStart(16, '0'),
      );
    out.push(`${hex(addr + i * 8).padStart(18)}: ${words.join(' ')}`);
  }
  if (r.stop !== null) out.push(`${hex(r.stop.addr)}: not guest RAM`);
  return lines(out);
}

function harvestText(machine: Machine): string {
  if (!machine.vm!.vmspace.dirtyTracking)
    return 'nestvm: dirty tracking is off (--no-dirty-tracking, or a format without it)\n';
  const { bitmap, dirty } = machine.harvestDirty();
  const pages: string[] = [];
  for (let i = 0; i < bitmap.length * 8 && pages.length < 32; i++)
    if (bitmap[i >> 3] & (1 << (i & 7))) pages.push(hex(LAYOUT[machine.arch].ramBase + i * PAGE_SIZE));
  return lines([
    `harvest: ${dirty} dirty page(s) since the last harvest`,
    ...(pages.length ? ['  ' + pages.join(' ')] : []),
  ]);
}

function evictCommand(machine: Machine, arg: string | undefined): string {
  const addr = addressArg(arg);
  if (addr === null) return 'nestvm: usage: evict GPA\n';
  const page = toGpa(pageAlignDown(addr));
  const frame = machine.frameOf(page);
  if (frame === null) return `guest-physical ${hex(page)}: no nested leaf, nothing to evict\n`;
  const n = machine.disconnectFrame(frame);
  return `evicted frame ${hex(frame)} behind guest-physical ${hex(page)}: ${n} nested entr${n === 1 ? 'y' : 'ies'} cleared\n`;
}
