/*
 * `.equ` / `.set` / `NAME = value` constants, resolved by nestvm before Keystone sees a line.
 *
 * Keystone's x86-64 parser reads an expression that names an `.equ` symbol after a number
 * (`mov eax, 0x200000 + PS`) as a memory operand, silently. So nestvm keeps the constants:
 *
 *   1. Each definition's expression is evaluated (const-expr.ts) with the constants defined on
 *      earlier lines; the definition goes on to Keystone with the value written out.
 *   2. In every other statement, a name that is a constant becomes its value (parenthesised
 *      when negative). A line before the definition gets the first definition's value, as a
 *      forward reference does in GNU as.
 *   3. In an instruction, each operand outside brackets that is then a constant expression
 *      (after an arm64 `#` or `=`) is folded to one number, and the number is kept, per line
 *      and operand, for the operand check (operand-check.ts).
 *
 * A definition Keystone must finish itself (it names a label: `.equ LEN, end - start`) is left
 * as written, and so are the uses of its name. An expression that is wrong (division by zero,
 * a value past 64 bits, `&` mixed with `|`) is an error on its line.
 *
 * Invariant: the output has one line per input line, and a line with neither a constant nor an
 * operand to fold comes out as it went in, so line numbers stay as they were.
 */
import type { Arch } from '../arch.js';
import { evaluate, literal } from './const-expr.js';
import { joinStatement, splitStatement, splitTopLevel, type Statement } from './statement.js';

export interface ResolvedSource {
  readonly lines: readonly string[];
  /** Per line: for an instruction, each written operand's value when nestvm knows it. */
  readonly operandValues: readonly (readonly (bigint | null)[] | null)[];
}

export type Resolution = { ok: true; source: ResolvedSource } | { ok: false; index: number; reason: string };

interface Definition {
  readonly name: string;
  readonly expr: string;
  /** Rebuild the statement with `value` written in place of the expression. */
  readonly rewrite: (value: string) => string;
}

const ASSIGN = /^([A-Za-z_.$][\w.$]*)(\s*=\s*)(?!=)(.*)$/;
const EQU_DIRECTIVE = /^\.(equ|set|equiv|eqv)$/i;

function definitionOf(s: Statement): Definition | null {
  if (EQU_DIRECTIVE.test(s.head) && s.operands.length === 2) {
    const name = s.operands[0].trim();
    const rewrite = (v: string): string => joinStatement({ ...s, operands: [s.operands[0], ` ${v}`] });
    return { name, expr: s.operands[1], rewrite };
  }
  const m = ASSIGN.exec(joinStatement({ ...s, labels: '', lead: '' }));
  if (m === null) return null;
  return { name: m[1], expr: m[3], rewrite: (v) => `${s.labels}${s.lead}${m[1]}${m[2]}${v}` };
}

/* The character that separates statements on one line, where the architecture has one. */
const STATEMENT_SEPARATOR: Record<Arch, string | null> = { x86_64: null, arm64: ';' };

/** Names replaced by their values, outside quotes. */
function substitute(text: string, lookup: (name: string) => bigint | undefined): string {
  return text.replace(
    /("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|(?<![\w.$])([A-Za-z_.$][\w.$]*)/g,
    (all, quoted, name) => {
      if (quoted !== undefined) return all;
      const v = lookup(name as string);
      if (v === undefined) return all;
      return v < 0n ? `(${literal(v)})` : literal(v);
    },
  );
}

const PLAIN_NUMBER = /^(?:-?(?:0[xX][0-9A-Fa-f]+|0[bB][01]+|[0-9]+))$/;

/** Fold one operand (see the essay, step 3). */
function foldOperand(arch: Arch, operand: string): { text: string; value: bigint | null } | { bad: string } {
  const m = /^(\s*)(.*?)(\s*)$/s.exec(operand)!;
  const prefix = arch === 'arm64' && /^[#=]/.test(m[2]) ? m[2][0] : '';
  const body = m[2].slice(prefix.length);
  if (/[[\]{}"']/.test(body)) return { text: operand, value: null };
  const r = evaluate(body, () => undefined);
  if (r.kind === 'bad') return { bad: r.reason };
  if (r.kind === 'foreign') return { text: operand, value: null };
  const text = PLAIN_NUMBER.test(body.trim()) ? operand : `${m[1]}${prefix}${literal(r.value)}${m[3]}`;
  return { text, value: r.value };
}

/** The statements of a line: arm64 separates them with ';' (outside quotes), x86-64 does not. */
function statementsOf(arch: Arch, line: string): string[] {
  const sep = STATEMENT_SEPARATOR[arch];
  return sep === null ? [line] : splitTopLevel(line, sep, false);
}

type Defs = Map<string, { index: number; value: bigint | null }[]>;

/** Pass 1: every definition's value, from the definitions above it. */
function collectDefinitions(
  arch: Arch,
  lines: readonly string[],
): { defs: Defs } | { index: number; reason: string } {
  const defs: Defs = new Map();
  const current = (name: string): bigint | undefined => {
    const list = defs.get(name);
    return list?.[list.length - 1].value ?? undefined;
  };
  for (let index = 0; index < lines.length; index++) {
    for (const text of statementsOf(arch, lines[index])) {
      const d = definitionOf(splitStatement(text));
      if (d === null) continue;
      const r = evaluate(d.expr, current);
      if (r.kind === 'bad') return { index, reason: `${r.reason} (in the value of ${d.name})` };
      const list = defs.get(d.name) ?? [];
      list.push({ index, value: r.kind === 'value' ? r.value : null });
      defs.set(d.name, list);
    }
  }
  return { defs };
}

/** The value of `name` as seen from line `index` (see the essay, step 2). */
function valueAt(defs: Defs, name: string, index: number): bigint | undefined {
  const list = defs.get(name);
  if (list === undefined) return undefined;
  const before = list.filter((d) => d.index < index);
  return (before.length > 0 ? before[before.length - 1] : list[0]).value ?? undefined;
}

const MOV_W = /^(?:mov|movz|movn|movk|ldr)$/i;

/** arm64 `mov wN, #v` keeps only 32 bits without a word; nestvm says so instead. */
function arm64WidthProblem(s: Statement, values: (bigint | null)[]): string | null {
  if (!MOV_W.test(s.head) || !/^\s*w(?:\d+|zr)\s*$/i.test(s.operands[0] ?? '')) return null;
  const v = values[1];
  if (v === null || v === undefined || (v >= -(1n << 31n) && v < 1n << 32n)) return null;
  return `immediate ${literal(v)} does not fit in 32 bits (the register is ${s.operands[0].trim()})`;
}

/** One statement of pass 2: rewritten text, and its operand values when it is an instruction. */
function resolveStatement(
  arch: Arch,
  text: string,
  lookup: (name: string) => bigint | undefined,
  own: (name: string) => bigint | null,
): { text: string; values: (bigint | null)[] | null } | { reason: string } {
  const s = splitStatement(text);
  const d = definitionOf(s);
  if (d !== null) {
    const v = own(d.name);
    return { text: v === null ? text : d.rewrite(literal(v)), values: null };
  }
  const operands = s.operands.map((o) => substitute(o, lookup));
  if (s.head === '' || s.head.startsWith('.'))
    return { text: joinStatement({ ...s, operands }), values: null };
  const folded = operands.map((o) => foldOperand(arch, o));
  const bad = folded.find((f) => 'bad' in f);
  if (bad !== undefined) return { reason: bad.bad };
  const done = folded as { text: string; value: bigint | null }[];
  const values = done.map((f) => f.value);
  const why = arch === 'arm64' ? arm64WidthProblem(s, values) : null;
  if (why !== null) return { reason: why };
  return { text: joinStatement({ ...s, operands: done.map((f) => f.text) }), values };
}

/** Resolve the constants of prepared lines (comments already removed; see the essay). */
export function resolveConstants(arch: Arch, lines: readonly string[]): Resolution {
  const collected = collectDefinitions(arch, lines);
  if ('reason' in collected) return { ok: false, ...collected };
  const { defs } = collected;
  const out: string[] = [];
  const operandValues: ((bigint | null)[] | null)[] = [];
  for (let index = 0; index < lines.length; index++) {
    const lookup = (name: string): bigint | undefined => valueAt(defs, name, index);
    const own = (name: string): bigint | null =>
      (defs.get(name) ?? []).filter((d) => d.index === index).pop()?.value ?? null;
    const parts = statementsOf(arch, lines[index]).map((t) => resolveStatement(arch, t, lookup, own));
    const failed = parts.find((p) => 'reason' in p);
    if (failed !== undefined) return { ok: false, index, reason: failed.reason };
    const done = parts as { text: string; values: (bigint | null)[] | null }[];
    out.push(done.map((p) => p.text).join(';'));
    operandValues.push(done.length === 1 ? done[0].values : null);
  }
  return { ok: true, source: { lines: out, operandValues } };
}
