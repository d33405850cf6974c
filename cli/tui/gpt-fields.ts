/*
 * From mmu/gpt's entry decoder to what the GPT pane prints.
 *
 * There is exactly one decoder of entry bits in nestvm: each format's decode() in mmu/gpt (students
 * compare it with the manuals, and its conformance tests pin it). The TUI never re-decodes bits;
 * the adapter passes decode()'s fields through these helpers, so the screen always agrees with the
 * page tables the MMU actually built.
 *
 * A field prints as NAME=value: a single bit as 0/1; a multi-bit field as its number and meaning,
 * "MT=6 (WB)"; an address as hex. The raw entry becomes one bigint for display (BigInt is fine
 * here: this runs ten times a second on a handful of entries, never on the fill path).
 */
import type { DecodedEntry, DecodedField } from '../../mmu/gpt/entry-format.js';
import type { Field, WalkStep } from './model.js';

const HEX = /^0x[0-9a-f_]+$/i;

export function fieldValue(f: DecodedField): string {
  if (!f.bits.includes(':')) return String(f.value);
  if (HEX.test(f.meaning)) return f.meaning;
  if (f.meaning === '-' || f.meaning.startsWith(f.name)) return String(f.value);
  return `${f.value} (${f.meaning})`;
}

export function fieldsOf(d: DecodedEntry): Field[] {
  return d.fields.map((f) => ({ name: f.name, value: fieldValue(f) }));
}

/** What a walk entry is: a table pointer, a leaf, or nothing (not present). */
export function walkKind(d: DecodedEntry): WalkStep['kind'] {
  if (!d.present) return 'empty';
  return d.kind === 'leaf' ? 'leaf' : 'table';
}

/** The two 32-bit halves of an entry as one 64-bit value. */
export function rawOf(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
