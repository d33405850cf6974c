// Each assembler defect of the first fuzzing campaign, as a user meets it: one line, exit 2.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './capture.js';

const dir = mkdtempSync(join(tmpdir(), 'nestvm-asm-'));
let n = 0;
function guest(arch: 'x86_64' | 'arm64', body: string): string {
  const path = join(dir, `g${n++}.s`);
  const exit = arch === 'x86_64' ? 'hlt' : 'hlt #0xf000';
  writeFileSync(path, `; arch: ${arch}\n`.replace(';', arch === 'arm64' ? '//' : ';') + `${body}\n${exit}\n`);
  return path;
}

async function refused(cmd: string, path: string, message: string): Promise<void> {
  const t0 = Date.now();
  const r = await runCli(cmd, path);
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(`nestvm: ${path}:${message}\n`);
  expect(Date.now() - t0).toBeLessThan(10_000);
}

describe('assembler defects through the CLI', () => {
  it('a line of just ":" ends with exit 2 under run and disasm, on both architectures', async () => {
    for (const arch of ['x86_64', 'arm64'] as const) {
      for (const cmd of ['run', 'disasm']) {
        await refused(cmd, guest(arch, 'nop\n:'), '3: a label needs a name before its colon: :');
      }
    }
  });

  it('an unterminated string ends with exit 2', async () => {
    const path = guest('arm64', '.ascii "abc');
    await refused('run', path, '2: unterminated string literal (a closing quote is missing): .ascii "abc');
  });

  it('a hang the line checks miss still ends with exit 2', async () => {
    const path = guest('x86_64', 'nop\n.ascii \\');
    const r = await runCli('disasm', path);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `nestvm: ${path}:3: the assembler does not finish on this line (keystone did not finish within 1000 ms): .ascii \\\n`,
    );
  }, 20_000);

  it('an .equ constant after a number stays an immediate', async () => {
    const r = await runCli('disasm', guest('x86_64', '.equ PS, 0x80\nmov eax, 0x200000 + PS'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('mov eax, 0x200080');
    expect(r.stdout).not.toContain('movabs');
  });

  it('mov al, 0x1000 is refused', async () => {
    const path = guest('x86_64', 'mov al, 0x1000');
    await refused(
      'run',
      path,
      '2: immediate 0x1000 does not fit in 8 bits (the operand is al): mov al, 0x1000',
    );
  });

  it('an unclosed [ is refused', async () => {
    await refused('run', guest('x86_64', 'mov eax, [rsi + 8'), "2: unclosed '[': mov eax, [rsi + 8");
  });

  it('10h is refused, naming the token', async () => {
    await refused(
      'run',
      guest('x86_64', 'mov eax, 10h'),
      "2: '10h': numbers take no h suffix; write 0x10: mov eax, 10h",
    );
  });
});
