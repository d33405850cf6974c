/*
 * One assembly statement cut into its parts: leading labels, the head (mnemonic or directive)
 * and the operands, split at top-level commas.
 *
 *   "a: mov eax, [rsi + 8], 3"  ->  labels "a: ", head "mov", operands "eax" "[rsi + 8]" "3"
 *
 * Commas inside quotes, brackets, parentheses or braces do not split. x86 prefixes (rep, lock,
 * ...) belong to the head: "rep movsb" has head "rep movsb" and no operands.
 *
 * Invariant: `joinStatement(splitStatement(s))` is `s` for every statement `s`, so a caller may
 * replace operands and put the text back together without disturbing anything else.
 */

export interface Statement {
  /** The leading label definitions, exactly as written (with their colons and spaces). */
  readonly labels: string;
  /** Text between the labels and the head: white space. */
  readonly lead: string;
  /** The mnemonic or directive (with x86 prefixes), as written; '' for a label-only line. */
  readonly head: string;
  /** Operands as written, white space around each kept. */
  readonly operands: readonly string[];
}

const LABELS = /^(?:\s*[A-Za-z_.$][\w.$]*\s*:(?!:))*/;
const PREFIXES = /^(?:(?:rep|repe|repz|repne|repnz|lock|data16|addr32)\s+)*/i;
const WORD = /^[A-Za-z_.$][\w.$]*/;

/**
 * Split `text` at each `sep` outside quotes (a backslash escapes the next character inside them)
 * and, when `nested` is set, outside brackets, parentheses and braces too.
 */
export function splitTopLevel(text: string, sep: string, nested: boolean): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (nested && (c === '[' || c === '(' || c === '{')) depth++;
    else if (nested && (c === ']' || c === ')' || c === '}')) depth--;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

export function splitStatement(code: string): Statement {
  const labels = LABELS.exec(code)?.[0] ?? '';
  const rest = code.slice(labels.length);
  const lead = /^\s*/.exec(rest)?.[0] ?? '';
  const body = rest.slice(lead.length);
  const prefixes = PREFIXES.exec(body)?.[0] ?? '';
  const word = WORD.exec(body.slice(prefixes.length))?.[0] ?? '';
  const head = prefixes + word;
  const tail = body.slice(head.length);
  const operands = tail.trim() === '' ? (tail === '' ? [] : [tail]) : splitTopLevel(tail, ',', true);
  return { labels, lead, head, operands };
}

export function joinStatement(s: Statement): string {
  return s.labels + s.lead + s.head + s.operands.join(',');
}

/** The operands that carry text (a statement with an empty tail has none). */
export function writtenOperands(s: Statement): string[] {
  return s.operands.map((o) => o.trim()).filter((o, i, all) => o !== '' || all.length > 1);
}
