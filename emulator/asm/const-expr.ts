/*
 * Constant expressions of guest assembly, evaluated by nestvm before Keystone sees them.
 *
 * Keystone reads `0x200000 + PS` (PS from `.equ`) as a memory operand on x86-64, so nestvm
 * works the value of every constant expression out itself and hands Keystone a plain number.
 * The language is small and exact (BigInt; assembly is not a hot path):
 *
 *   literals    decimal `42`, hex `0x2a`, binary `0b101010`
 *   names       constants defined earlier (the caller's table)
 *   unary       - + ~
 *   binary      * / %   then  + -   then  << >>   then  & | ^   (C order, left to right)
 *   grouping    ( ... )
 *
 * Two rules keep a value from depending on whose precedence table is used: `&`, `|` and `^` may
 * not be mixed at one level without parentheses (Keystone's directive parser puts them on one
 * level, its x86 operand parser uses C's three), and every intermediate value must lie in
 * [-2^63, 2^64), the 64-bit range either signed or unsigned.
 *
 * Invariant: `evaluate` never throws. It answers a value, 'foreign' (the text is not an
 * expression of this language, or names something that is not a known constant: Keystone
 * decides what it is), or 'bad' with a reason (it is one, and it is wrong: divide by zero, out
 * of range, mixed bitwise operators).
 */

export type ExprResult =
  { kind: 'value'; value: bigint } | { kind: 'foreign' } | { kind: 'bad'; reason: string };

type Token = { t: 'num'; v: bigint } | { t: 'name'; v: string } | { t: 'op'; v: string };

const TOKEN =
  /\s*(?:(0[xX][0-9A-Fa-f]+|0[bB][01]+|[0-9]+)(?![\w.$])|([A-Za-z_.$][\w.$]*)|(<<|>>|[-+*/%&|^~()]))/y;

function tokenize(text: string): Token[] | null {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(text);
    if (m === null) return null;
    if (m[1] !== undefined) out.push({ t: 'num', v: BigInt(m[1]) });
    else if (m[2] !== undefined) out.push({ t: 'name', v: m[2] });
    else out.push({ t: 'op', v: m[3] });
  }
  return out;
}

const MIN = -(1n << 63n);
const LIMIT = 1n << 64n;

class Bad {
  constructor(readonly reason: string) {}
}
class Foreign {}

function inRange(v: bigint): bigint {
  if (v < MIN || v >= LIMIT) throw new Bad('value does not fit in 64 bits');
  return v;
}

/** A recursive-descent parser over the tokens; throws Bad or Foreign, caught by `evaluate`. */
class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly lookup: (name: string) => bigint | undefined,
  ) {}

  whole(): bigint {
    const v = this.bitwise();
    if (this.at !== this.tokens.length) throw new Foreign();
    return v;
  }

  private peekOp(): string | null {
    const t = this.tokens[this.at];
    return t?.t === 'op' ? t.v : null;
  }

  private bitwise(): bigint {
    let v = this.shift();
    let seen: string | null = null;
    for (let op = this.peekOp(); op === '&' || op === '|' || op === '^'; op = this.peekOp()) {
      if (seen !== null && seen !== op)
        throw new Bad(`'${seen}' and '${op}' mixed without parentheses: add them to say which goes first`);
      seen = op;
      this.at++;
      const r = this.shift();
      v = op === '&' ? v & r : op === '|' ? v | r : v ^ r;
    }
    return v;
  }

  private shift(): bigint {
    let v = this.additive();
    for (let op = this.peekOp(); op === '<<' || op === '>>'; op = this.peekOp()) {
      this.at++;
      const r = this.additive();
      if (r < 0n || r > 63n) throw new Bad(`shift by ${r} (the count must be 0 to 63)`);
      v = inRange(op === '<<' ? v << r : v >> r);
    }
    return v;
  }

  private additive(): bigint {
    let v = this.multiplicative();
    for (let op = this.peekOp(); op === '+' || op === '-'; op = this.peekOp()) {
      this.at++;
      const r = this.multiplicative();
      v = inRange(op === '+' ? v + r : v - r);
    }
    return v;
  }

  private multiplicative(): bigint {
    let v = this.unary();
    for (let op = this.peekOp(); op === '*' || op === '/' || op === '%'; op = this.peekOp()) {
      this.at++;
      const r = this.unary();
      if (op !== '*' && r === 0n) throw new Bad('division by zero');
      v = inRange(op === '*' ? v * r : op === '/' ? v / r : v % r);
    }
    return v;
  }

  private unary(): bigint {
    const op = this.peekOp();
    if (op === '-' || op === '+' || op === '~') {
      this.at++;
      const v = this.unary();
      return inRange(op === '-' ? -v : op === '~' ? ~v : v);
    }
    return this.primary();
  }

  private primary(): bigint {
    const t = this.tokens[this.at++];
    if (t === undefined) throw new Foreign();
    if (t.t === 'num') return inRange(t.v);
    if (t.t === 'name') {
      const v = this.lookup(t.v);
      if (v === undefined) throw new Foreign();
      return v;
    }
    if (t.v !== '(') throw new Foreign();
    const v = this.bitwise();
    if (this.peekOp() !== ')') throw new Foreign();
    this.at++;
    return v;
  }
}

/** Evaluate `text` with the constants `lookup` knows (see the essay for the three answers). */
export function evaluate(text: string, lookup: (name: string) => bigint | undefined): ExprResult {
  const tokens = tokenize(text);
  if (tokens === null || tokens.length === 0) return { kind: 'foreign' };
  try {
    return { kind: 'value', value: new Parser(tokens, lookup).whole() };
  } catch (e) {
    if (e instanceof Bad) return { kind: 'bad', reason: e.reason };
    if (e instanceof Foreign) return { kind: 'foreign' };
    throw e;
  }
}

/** The literal nestvm hands Keystone for a value: hex when non-negative, else negative decimal. */
export function literal(v: bigint): string {
  return v < 0n ? `-${(-v).toString()}` : `0x${v.toString(16)}`;
}
