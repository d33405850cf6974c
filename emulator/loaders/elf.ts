/*
 * The ELF64 loader: little-endian executables for EM_X86_64 and EM_AARCH64.
 *
 * What a guest sees is what the program headers say, placed by PHYSICAL address:
 *
 *   - each PT_LOAD with p_memsz > 0 becomes a Segment at p_paddr holding the file bytes
 *     [p_offset, p_offset + p_filesz); the rest up to p_memsz is zero (BSS);
 *   - the entry point is e_entry, a virtual address. When it falls inside an executable
 *     segment's virtual range whose p_vaddr differs from p_paddr, it is moved by the same
 *     offset (what QEMU's ELF loader does), since guests start with their MMU off;
 *   - symbols come from .symtab (SHT_SYMTAB and its linked string table), for display only;
 *     their values are moved from virtual to physical the same way.
 *
 * Every field is read through bounds-checked helpers, so a short or lying file is reported
 * ("truncated", "program header table ... past end of file") instead of read out of range.
 * The header must say what it is: EI_VERSION and e_version 1 (EV_CURRENT), a program header
 * table after the ELF header, not inside it. Each PT_LOAD's p_align is 0, 1 or a power of two,
 * and with alignment above 1 its p_offset and p_paddr keep p_vaddr's place in the page
 * (equal modulo p_align), as a loader that maps whole pages needs; each refusal names the field.
 * 64-bit fields become JS numbers; a value past 2^53 cannot be a guest-physical address here
 * and is refused.
 *
 *  ELF64 header                 program header (56 bytes)   Elf64_Sym (24 bytes)
 *   0 e_ident[16]                0 p_type    u32             0 st_name  u32
 *     [4] class 2=64 [5] data 1=LE 4 p_flags   u32  X=1 W=2 R=4 4 st_info  u8  (type: low 4 bits)
 *  16 e_type u16  18 e_machine   8 p_offset  u64             6 st_shndx u16  (0 = undefined)
 *  24 e_entry     32 e_phoff    16 p_vaddr   u64             8 st_value u64
 *  40 e_shoff                   24 p_paddr   u64            16 st_size  u64
 *  54 e_phentsize 56 e_phnum    32 p_filesz  u64
 *  58 e_shentsize 60 e_shnum    40 p_memsz   u64
 *
 *  section header (64 bytes): 4 sh_type u32, 24 sh_offset u64, 32 sh_size u64, 40 sh_link u32
 */
import type { Arch } from '../arch.js';
import { BadGuestError, type GuestImage, type GuestSymbol, type Segment } from '../image.js';
import { checkPlacement, hex } from './placement.js';

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const EV_CURRENT = 1;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const ET_EXEC = 2;
const ET_DYN = 3;
const ET_REL = 1;
const PF_X = 1;
const PF_W = 2;
const PF_R = 4;

const MACHINES: Record<number, Arch> = { 62: 'x86_64', 183: 'arm64' };
const OTHER_MACHINES: Record<number, string> = { 3: 'EM_386', 40: 'EM_ARM', 243: 'EM_RISCV', 8: 'EM_MIPS' };

export function isElf(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46
  );
}

/** Bounds-checked little-endian reads that blame the file. */
class Fields {
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly origin: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.length;
  }
  fail(what: string): never {
    throw new BadGuestError(`${this.origin}: ${what}`);
  }
  need(off: number, size: number, what: string): void {
    if (off + size > this.bytes.length) {
      this.fail(`truncated: ${what} at offset ${off} needs ${size} bytes, file has ${this.bytes.length}`);
    }
  }
  u8(off: number): number {
    return this.bytes[off];
  }
  u16(off: number): number {
    return this.view.getUint16(off, true);
  }
  u32(off: number): number {
    return this.view.getUint32(off, true);
  }
  u64(off: number, what: string): number {
    const hi = this.view.getUint32(off + 4, true);
    if (hi >= 0x20_0000) this.fail(`${what} 0x${hi.toString(16)}${hex8(this.u32(off))} is too large`);
    return hi * 0x1_0000_0000 + this.u32(off);
  }
  slice(off: number, size: number): Uint8Array {
    return this.bytes.slice(off, off + size);
  }
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

export interface ElfOptions {
  /** If given, the ELF must be for this architecture. */
  readonly arch?: Arch;
  readonly memBytes: number;
}

export function loadElf(bytes: Uint8Array, origin: string, opts: ElfOptions): GuestImage {
  const f = new Fields(bytes, origin);
  const arch = checkHeader(f, opts.arch);
  const loads = programHeaders(f);
  const segments = loads.map((p) => p.segment);
  const entry = physicalEntry(loads, f.u64(24, 'e_entry'));
  checkPlacement(origin, arch, segments, entry, opts.memBytes, (i) => `PT_LOAD segment ${loads[i].index}`);
  const symbols = readSymbols(f, loads);
  return { arch, entry, segments, symbols, origin, kind: 'elf' };
}

function checkHeader(f: Fields, wanted: Arch | undefined): Arch {
  if (f.length < EHDR_SIZE) f.fail(`truncated: ${f.length} bytes, an ELF64 header needs ${EHDR_SIZE}`);
  const cls = f.u8(4);
  if (cls === 1) f.fail('ELF32 (class 1) is not supported; nestvm loads ELF64 executables');
  if (cls !== 2) f.fail(`invalid ELF class ${cls} (expected 2, ELF64)`);
  const data = f.u8(5);
  if (data === 2) f.fail('big-endian ELF is not supported; nestvm loads little-endian executables');
  if (data !== 1) f.fail(`invalid ELF data encoding ${data} (expected 1, little-endian)`);
  if (f.u8(6) !== EV_CURRENT) f.fail(`EI_VERSION ${f.u8(6)} (expected ${EV_CURRENT}, EV_CURRENT)`);
  if (f.u32(20) !== EV_CURRENT) f.fail(`e_version ${f.u32(20)} (expected ${EV_CURRENT}, EV_CURRENT)`);
  const type = f.u16(16);
  if (type === ET_REL) f.fail('relocatable object (ET_REL), not an executable: link it first');
  if (type === ET_DYN)
    f.fail('position-independent executable (ET_DYN) is not supported: link with -static -no-pie');
  if (type !== ET_EXEC) f.fail(`ELF type ${type} is not an executable (ET_EXEC)`);
  const machine = f.u16(18);
  const arch = MACHINES[machine];
  if (arch === undefined) {
    const name = OTHER_MACHINES[machine];
    f.fail(
      `machine ${machine}${name ? ` (${name})` : ''} is not supported; nestvm runs EM_X86_64 and EM_AARCH64`,
    );
  }
  if (wanted !== undefined && wanted !== arch)
    f.fail(`this is an ${arch} ELF but --arch ${wanted} was given`);
  return arch;
}

interface LoadHeader {
  readonly index: number;
  readonly vaddr: number;
  readonly segment: Segment;
}

function programHeaders(f: Fields): LoadHeader[] {
  const phoff = f.u64(32, 'e_phoff');
  const phentsize = f.u16(54);
  const phnum = f.u16(56);
  if (phnum === 0) f.fail('no program headers: nothing to load');
  if (phnum === 0xffff) f.fail('too many program headers (PN_XNUM) are not supported');
  if (phentsize !== PHDR_SIZE) f.fail(`program header size ${phentsize} (expected ${PHDR_SIZE})`);
  if (phoff < EHDR_SIZE) f.fail(`e_phoff ${phoff} points into the ELF header (which is ${EHDR_SIZE} bytes)`);
  if (phoff + phnum * PHDR_SIZE > f.length) {
    f.fail(
      `truncated: program header table [${phoff}, ${phoff + phnum * PHDR_SIZE}) runs past end of file (${f.length} bytes)`,
    );
  }
  const out: LoadHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const h = phoff + i * PHDR_SIZE;
    if (f.u32(h) !== PT_LOAD) continue;
    const memsz = f.u64(h + 40, 'p_memsz');
    if (memsz === 0) continue;
    const offset = f.u64(h + 8, 'p_offset');
    const filesz = f.u64(h + 32, 'p_filesz');
    if (filesz > memsz) f.fail(`PT_LOAD segment ${i}: p_filesz ${hex(filesz)} exceeds p_memsz ${hex(memsz)}`);
    if (offset + filesz > f.length) {
      f.fail(
        `truncated: PT_LOAD segment ${i} file bytes [${offset}, ${offset + filesz}) run past end of file (${f.length} bytes)`,
      );
    }
    const gpa = f.u64(h + 24, 'p_paddr');
    const vaddr = f.u64(h + 16, 'p_vaddr');
    checkAlignment(f, i, f.u64(h + 48, 'p_align'), { p_offset: offset, p_paddr: gpa, p_vaddr: vaddr });
    const segment: Segment = {
      gpa,
      data: f.slice(offset, filesz),
      memSize: memsz,
      flags: flagString(f.u32(h + 4)),
    };
    out.push({ index: i, vaddr, segment });
  }
  if (out.length === 0) f.fail('no PT_LOAD segment with p_memsz > 0: nothing to load');
  return out;
}

/** p_align is 0, 1 or a power of two; above 1, p_offset and p_paddr sit where p_vaddr does in it. */
function checkAlignment(f: Fields, i: number, align: number, at: Record<string, number>): void {
  if (align <= 1) return;
  // A power of two below 2^53 has one bit set: its 32-bit halves hold one bit between them.
  const lo = align % 2 ** 32;
  const hi = Math.floor(align / 2 ** 32);
  const onePower = (x: number) => x !== 0 && (x & (x - 1)) === 0;
  if (!(lo === 0 ? onePower(hi) : hi === 0 && onePower(lo)))
    f.fail(`PT_LOAD segment ${i}: p_align ${hex(align)} is not a power of two`);
  const want = at.p_vaddr % align;
  for (const field of ['p_offset', 'p_paddr']) {
    if (at[field] % align !== want)
      f.fail(
        `PT_LOAD segment ${i}: ${field} ${hex(at[field])} is not aligned like p_vaddr ${hex(at.p_vaddr)} (modulo p_align ${hex(align)})`,
      );
  }
}

/** p_flags -> 'r', 'rw', 'rx', 'rwx' (and '' when a segment grants nothing). */
function flagString(pflags: number): string {
  return (pflags & PF_R ? 'r' : '') + (pflags & PF_W ? 'w' : '') + (pflags & PF_X ? 'x' : '');
}

/** Move a virtual address into physical terms through the segment whose vaddr range holds it. */
function toPhysical(loads: readonly LoadHeader[], vaddr: number, execOnly: boolean): number {
  for (const l of loads) {
    if (execOnly && !l.segment.flags.includes('x')) continue;
    if (vaddr >= l.vaddr && vaddr < l.vaddr + l.segment.memSize) return vaddr - l.vaddr + l.segment.gpa;
  }
  return vaddr;
}

function physicalEntry(loads: readonly LoadHeader[], entry: number): number {
  return toPhysical(loads, entry, true);
}

/** .symtab entries that name code or data (types NOTYPE/OBJECT/FUNC, defined, named). */
function readSymbols(f: Fields, loads: readonly LoadHeader[]): GuestSymbol[] {
  const shoff = f.u64(40, 'e_shoff');
  const shnum = f.u16(60);
  if (shoff === 0 || shnum === 0) return [];
  if (f.u16(58) !== SHDR_SIZE) f.fail(`section header size ${f.u16(58)} (expected ${SHDR_SIZE})`);
  if (shoff + shnum * SHDR_SIZE > f.length) {
    f.fail(
      `truncated: section header table [${shoff}, ${shoff + shnum * SHDR_SIZE}) runs past end of file (${f.length} bytes)`,
    );
  }
  const section = (i: number) => {
    const h = shoff + i * SHDR_SIZE;
    return {
      type: f.u32(h + 4),
      offset: f.u64(h + 24, 'sh_offset'),
      size: f.u64(h + 32, 'sh_size'),
      link: f.u32(h + 40),
    };
  };
  for (let i = 0; i < shnum; i++) {
    const sym = section(i);
    if (sym.type !== SHT_SYMTAB) continue;
    if (sym.link >= shnum) f.fail(`.symtab links to section ${sym.link}, but there are ${shnum}`);
    const str = section(sym.link);
    f.need(sym.offset, sym.size, '.symtab');
    f.need(str.offset, str.size, '.strtab');
    return symbolsFrom(f, loads, sym.offset, Math.floor(sym.size / SYM_SIZE), str.offset, str.size);
  }
  return [];
}

function symbolsFrom(
  f: Fields,
  loads: readonly LoadHeader[],
  symOff: number,
  count: number,
  strOff: number,
  strSize: number,
): GuestSymbol[] {
  const out: GuestSymbol[] = [];
  for (let k = 1; k < count; k++) {
    const s = symOff + k * SYM_SIZE;
    const type = f.u8(s + 4) & 0xf;
    if (type > 2 || f.u16(s + 6) === 0) continue; // not NOTYPE/OBJECT/FUNC, or undefined
    const name = cString(f, strOff, strSize, f.u32(s));
    if (name === '' || name.startsWith('$')) continue; // arm64 mapping symbols $x/$d
    const value = f.u64(s + 8, 'st_value');
    out.push({ name, addr: toPhysical(loads, value, false), size: f.u64(s + 16, 'st_size') });
  }
  return out.sort((a, b) => a.addr - b.addr || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function cString(f: Fields, strOff: number, strSize: number, at: number): string {
  if (at >= strSize) f.fail(`symbol name offset ${at} is outside .strtab (${strSize} bytes)`);
  let end = strOff + at;
  while (end < strOff + strSize && f.u8(end) !== 0) end++;
  return Buffer.from(f.slice(strOff + at, end - strOff - at)).toString('latin1');
}
