/*
 * The nested map as ranges: every present leaf of the GPT, from guest-physical pages to host
 * frames, merged where both sides continue and the entry says the same.
 *
 *   gpa 0x0020_0000 .. 0x0030_0000  ->  hfn 0x1200 ..   R W X MT=6 (WB) IPAT A D
 *
 * What "says the same" means is the format's own decode(): the leaf's named fields, less the frame
 * address, as the manual names them (EPT R W X MT IPAT A D; nPT P RW US ... NX; stage-2 S2AP
 * MemAttr AF DBM XN ...). Two neighbouring pages merge only when their host frames follow each other
 * too and their fields are equal, so a range is one run of identical entries over contiguous
 * frames, and A and D split ranges where the guest touched some pages and not others.
 *
 * The walk reads host RAM through GptIter (skipping absent subtrees whole) and writes nothing.
 *
 * Invariants: ranges are sorted by gpa and do not overlap; every page in a range has a present leaf
 * whose frame is hfn + (page - gpa) / 4096 and whose decoded fields are `fields`.
 */
import { PAGE_SIZE } from '../addr.js';
import type { DecodedField, EntryFormat } from './entry-format.js';
import { GPA_LIMIT } from './gpt-geometry.js';
import type { GptIter } from './gpt-iter.js';

export interface NestedRange {
  readonly gpa: number;
  readonly len: number;
  /** Host frame of the first page (the range's frames are consecutive). */
  readonly hfn: number;
  /** The leaf's named fields that matter for display: set single bits, every multi-bit field. */
  readonly fields: readonly DecodedField[];
  /** The same as one line of text, e.g. "R W X MT=6 (WB) IPAT A D". */
  readonly bits: string;
}

/** What the walk needs of a Gpt (the Gpt class satisfies it). */
export interface GptRangeSource {
  readonly format: EntryFormat;
  readonly mem: { readonly u32: Uint32Array };
  iterate(gpa: number, len: number): GptIter;
}

/* Whether a field says something about a leaf: a set bit, or a multi-bit field other than the frame
 * address and a zero software-use field. */
const tells = (f: DecodedField): boolean =>
  f.bits.includes(':')
    ? f.name !== 'ADDR' && !(f.value === 0 && /software|ignored/i.test(f.meaning))
    : f.value !== 0;

/* The fields that describe a leaf apart from its frame. */
const leafFields = (fmt: EntryFormat, lo: number, hi: number): DecodedField[] =>
  fmt.decode(lo, hi, 'leaf').fields.filter(tells);

const fieldText = (f: DecodedField): string => {
  if (!f.bits.includes(':')) return f.name;
  return f.meaning === '-' || f.meaning === String(f.value)
    ? `${f.name}=${f.value}`
    : `${f.name}=${f.value} (${f.meaning})`;
};

/** Every present leaf in [from, from + len), merged into ranges. */
export function nestedRanges(gpt: GptRangeSource, from = 0, len = GPA_LIMIT - from): NestedRange[] {
  const out: NestedRange[] = [];
  const u32 = gpt.mem.u32;
  const fmt = gpt.format;
  const it = gpt.iterate(from, len);
  while (it.next()) {
    const lo = u32[it.pte >>> 2];
    const hi = u32[(it.pte >>> 2) + 1];
    if (!fmt.isPresent(lo, hi)) continue;
    const hfn = fmt.frameOf(lo, hi);
    const fields = leafFields(fmt, lo, hi);
    const bits = fields.map(fieldText).join(' ');
    const prev = out[out.length - 1];
    if (
      prev &&
      prev.gpa + prev.len === it.gpa &&
      prev.hfn + prev.len / PAGE_SIZE === hfn &&
      prev.bits === bits
    )
      out[out.length - 1] = { ...prev, len: prev.len + PAGE_SIZE };
    else out.push({ gpa: it.gpa, len: PAGE_SIZE, hfn, fields, bits });
  }
  return out;
}
