/*
 * Lexical checks on one line of guest assembly, made before Keystone sees the source.
 *
 * Keystone accepts some malformed lines silently and loops for ever on others. The shapes
 * found so far are cheap to recognise in the text, so nestvm refuses them itself, with a
 * reason, and the common cases fail fast (the deadline in keystone.ts is the backstop for
 * shapes not listed here):
 *
 *   unterminated string   `.ascii "abc`           Keystone hangs
 *   empty label           `:`, `:::`, `a::`        Keystone hangs
 *   odd statement start   `/`, `=`, `-`, `\`, `$`   Keystone hangs (arm64 on most, x86-64 on some)
 *   unbalanced brackets   `mov eax, [rsi + 8`      Keystone reads it as `[rsi + 8]`
 *   h-suffixed number     `10h`                    Keystone reads 16; guests/README.md has no h suffix
 *   leading-zero number   `010`                    Keystone reads octal 8; guests/README.md says decimal
 *
 * Invariant: `checkLine` looks only at the code of the line (comments already removed) and
 * answers null or a one-line reason; text inside quotes is never judged except for its end.
 */
import type { Arch } from '../arch.js';

/** The line's code with every quoted span blanked out, or the reason it cannot be read. */
function unquoted(code: string): { text: string } | { reason: string } {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote !== null) {
      if (c === '\\') {
        out += '  ';
        i++;
      } else {
        out += c === quote ? c : ' ';
        if (c === quote) quote = null;
      }
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    out += c;
  }
  if (quote !== null) return { reason: 'unterminated string literal (a closing quote is missing)' };
  return { text: out };
}

const PAIRS: Record<string, string> = { ']': '[', ')': '(', '}': '{' };

function bracketProblem(text: string): string | null {
  const open: string[] = [];
  for (const c of text) {
    if (c === '[' || c === '(' || c === '{') open.push(c);
    else if (c in PAIRS) {
      if (open.pop() !== PAIRS[c]) return `unmatched '${c}'`;
    }
  }
  return open.length > 0 ? `unclosed '${open[open.length - 1]}'` : null;
}

const LEADING_LABEL = /^\s*[A-Za-z_.$][\w.$]*\s*:(?!:)/;

/** What is wrong with how a statement starts, once its labels are off, or null. */
function statementStart(statement: string): string | null {
  let rest = statement;
  for (let m = LEADING_LABEL.exec(rest); m !== null; m = LEADING_LABEL.exec(rest)) {
    rest = rest.slice(m[0].length);
  }
  rest = rest.trimStart();
  if (/^:/.test(rest) || /^[A-Za-z_.$][\w.$]*\s*::/.test(rest))
    return 'a label needs a name before its colon';
  if (rest === '' || /^(?:[A-Za-z_]|\.[A-Za-z_])/.test(rest)) return null;
  return `a statement starts with a mnemonic, a directive or a label, not '${rest[0]}'`;
}

const H_SUFFIX = /(?<![\w.$])([0-9][0-9A-Fa-f]*[hH])(?![\w.$])/;
const LEADING_ZERO = /(?<![\w.$])(0[0-9]+)(?![\w.$])/;

function numberProblem(text: string): string | null {
  const h = H_SUFFIX.exec(text);
  if (h) {
    const hex = h[1].slice(0, -1).replace(/^0+(?=.)/, '');
    return `'${h[1]}': numbers take no h suffix; write 0x${hex.toLowerCase()}`;
  }
  const z = LEADING_ZERO.exec(text);
  if (z) {
    const dec = z[1].replace(/^0+(?=.)/, '');
    return `'${z[1]}': a number with a leading 0 would be read as octal; write ${dec} (decimal) or use 0x`;
  }
  return null;
}

/** Why `code` (one line, comments removed) is refused, or null when it may go to Keystone. */
export function checkLine(arch: Arch, code: string): string | null {
  const q = unquoted(code);
  if ('reason' in q) return q.reason;
  const statements = arch === 'arm64' ? q.text.split(';') : [q.text];
  const start = statements.map(statementStart).find((why) => why !== null);
  return start ?? bracketProblem(q.text) ?? numberProblem(q.text);
}
