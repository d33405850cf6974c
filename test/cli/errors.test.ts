import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { runCli } from './capture.js';

const oneLine = (s: string) => s.trimEnd().split('\n').length === 1;

describe('the CLI error handler', () => {
  it('rejects an unknown command with one line and status 2', async () => {
    const r = await runCli('frobnicate');
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^nestvm: .*frobnicate/);
    expect(oneLine(r.stderr)).toBe(true);
  });

  it('rejects a missing guest file with one line and status 2, no stack', async () => {
    const r = await runCli('run', 'no/such/guest.elf');
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/no\/such\/guest\.elf.*no such file/);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    expect(oneLine(r.stderr)).toBe(true);
  });

  it('shows the stack only with --verbose', async () => {
    const r = await runCli('run', 'no/such/guest.elf', '--verbose');
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr.split('\n').length).toBeGreaterThan(2);
  });

  it.each([
    ['--mem', 'lots', /--mem: 'lots' is not a size/],
    ['--max-insns', '-5', /--max-insns: '-5' is not a positive whole number/],
    ['--load', 'here', /--load: 'here' is not an address/],
    ['--arch', 'riscv', /Invalid values:.*arch/s],
  ])('validates %s in the builder', async (flag, value, message) => {
    const r = await runCli('run', 'guests/x86_64/hello.s', flag, value);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(message);
    expect(oneLine(r.stderr)).toBe(true);
  });

  it('reports an assembly error with its source line', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/nestvm-cli-');
    writeFileSync(`${dir}/bad.s`, '; arch: x86_64\n  nop\n  frob rax, 2\n  hlt\n');
    const r = await runCli('run', `${dir}/bad.s`);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/bad\.s:3/);
    expect(oneLine(r.stderr)).toBe(true);
  });
});

describe('nestvm guests', () => {
  it('lists the samples of both architectures with runnable paths', async () => {
    const r = await runCli('guests');
    expect(r.status).toBe(0);
    // each name, then one line per architecture with the file's absolute path
    expect(r.stdout).toMatch(
      /^hello {2,}prints a greeting.*\n {2}x86_64 +\/\S+\/guests\/x86_64\/hello\.s\n {2}arm64 +\/\S+\/guests\/arm64\/hello\.s$/m,
    );
  });

  it('filters by --arch and prints JSON', async () => {
    const r = await runCli('guests', '--arch', 'arm64', '--json');
    const list = JSON.parse(r.stdout) as { arch: string }[];
    expect(list.length).toBeGreaterThan(0);
    expect(list.every((s) => s.arch === 'arm64')).toBe(true);
  });
});
