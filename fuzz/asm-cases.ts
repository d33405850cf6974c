/*
 * Malformed assembly: a bundled hello.s with one hostile line put in, or one of its lines cut or
 * spliced with junk. Run in a child process with a deadline: a case that has to be killed is a hang.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Arch } from '../emulator/arch.js';
import { PACKAGE_ROOT } from '../emulator/package-root.js';
import type { Rng } from './rng.js';

export interface AsmCase {
  name: string;
  arch: Arch;
  source: string;
  want?: readonly number[];
}

/* Lines that must be refused with one line and exit 2 (regressions of the first campaign). */
const REFUSE: Record<Arch, string[]> = {
  x86_64: [':', ':::', '.ascii "abc', 'mov al, 0x1000', 'mov eax, [rsi + 8', 'mov eax, 10h'],
  arm64: [':', ':::', '.ascii "abc'],
};

const JUNK = [
  ':',
  '[',
  ']',
  '"',
  '(',
  ')',
  ',',
  '#',
  '.',
  '+',
  '-',
  '*',
  '/',
  'x0',
  'eax',
  '0x',
  '$',
  '%',
  ';',
];

const hello = (arch: Arch): string[] =>
  readFileSync(join(PACKAGE_ROOT, 'guests', arch, 'hello.s'), 'utf8').split('\n');

/** Where a line can go: after the first instruction line, so the arch header stays first. */
function insertAt(lines: string[], line: string): string {
  const at = Math.max(
    1,
    lines.findIndex((l) => /^\s+[a-z]/.test(l)),
  );
  return [...lines.slice(0, at + 1), line, ...lines.slice(at + 1)].join('\n');
}

export function namedAsmCases(): AsmCase[] {
  return (['x86_64', 'arm64'] as const).flatMap((arch) =>
    REFUSE[arch].map((line) => ({
      name: `${arch} line ${JSON.stringify(line)}`,
      arch,
      source: insertAt(hello(arch), `    ${line}`),
      want: [2],
    })),
  );
}

export function randomAsmCase(rng: Rng, i: number): AsmCase {
  const arch = rng.pick(['x86_64', 'arm64'] as const);
  const lines = hello(arch);
  const at = 1 + rng.below(lines.length - 1);
  const line = lines[at];
  const cut = rng.below(line.length + 1);
  const junk = Array.from({ length: 1 + rng.below(3) }, () => rng.pick(JUNK)).join('');
  lines[at] = rng.below(2) === 0 ? line.slice(0, cut) : line.slice(0, cut) + junk + line.slice(cut);
  return {
    name: `${arch} hello.s line ${at + 1} ${JSON.stringify(lines[at])} #${i}`,
    arch,
    source: lines.join('\n'),
  };
}
