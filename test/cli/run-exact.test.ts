import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { jsonAddress } from '../../cli/run-report.js';
import { runCli } from './capture.js';

const dir = mkdtempSync('/tmp/nestvm-exact-');
const source = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('64-bit addresses are exact', () => {
  it('a pc past 2^53 is a hex string in --json, and exact in the message', async () => {
    const g = source('jmp.s', '; arch: x86_64\n  mov rax, 0xfffffffffffff123\n  jmp rax\n');
    const r = await runCli('run', g, '--json');
    expect(r.status).toBe(EXIT.guestFault);
    const exit = JSON.parse(r.stdout).exit;
    expect(exit.pc).toBe('0xfffffffffffff123');
    expect(exit.message).toMatch(/guest-physical 0xfffffffffffff000 \(exec\) at pc 0xfffffffffffff123$/);
  });

  it('an arm64 access near 2^64 names the engine address, not 2^64', async () => {
    const g = source('ld.s', '// arch: arm64\n  movn x0, #0x3ff\n  ldrb w1, [x0]\n  hvc #0\n');
    const r = await runCli('run', g);
    expect(r.status).toBe(EXIT.guestFault);
    expect(r.stderr).toMatch(/unmapped guest-physical 0xfffffffffffffc00 \(read\) at pc 0x40080004/);
    expect(r.stderr).not.toMatch(/0x1000000000000000\b/);
  });

  it('a pc a number holds stays a number', async () => {
    const r = await runCli('run', 'guests/x86_64/hello.s', '--json');
    expect(typeof JSON.parse(r.stdout).exit.pc).toBe('number');
    expect(jsonAddress(2 ** 53 - 1, 2n ** 53n - 1n)).toBe(2 ** 53 - 1);
    expect(jsonAddress(2 ** 53, 2n ** 53n + 1n)).toBe('0x20000000000001');
  });
});

describe('--trace is created only once every option is accepted', () => {
  it.each([[['--mem', '8G']], [['--host-mem', '64K']], [['--arch', 'arm64']]])(
    'run %j leaves no trace file',
    async (extra) => {
      const file = join(dir, `t${Math.random()}.jsonl`);
      const r = await runCli('run', 'guests/x86_64/hello.s', ...extra, '--trace', file);
      expect(r.status).toBe(EXIT.usage);
      expect(existsSync(file)).toBe(false);
    },
  );

  it('an accepted run writes it', async () => {
    const file = join(dir, 'ok.jsonl');
    expect((await runCli('run', 'guests/x86_64/hello.s', '--trace', file)).status).toBe(0);
    expect(existsSync(file)).toBe(true);
  });
});
