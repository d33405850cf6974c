/*
 * The assembled-program cache gives back exactly what assembling gives, never hides an error and
 * never fails a run: a miss of any kind (no entry, a corrupt one, an unwritable folder) assembles.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../emulator/asm/assemble.js';
import { assembleCached, programKey } from '../../../emulator/asm/program-cache.js';
import { packagePath } from '../../../emulator/package-root.js';

const SRC = '_start:\n  mov eax, 1\nloop:\n  jmp loop\n';

function counting(arch: 'x86_64' | 'arm64', source: string, base: number) {
  const calls = { n: 0 };
  const run = () => {
    calls.n++;
    return assemble(arch, source, base);
  };
  return { calls, run };
}

describe('assembled-program cache', () => {
  it('the key follows the architecture, the load address and every byte of the source', () => {
    const k = programKey('x86_64', SRC, 0x100000);
    expect(programKey('x86_64', SRC, 0x100000)).toBe(k);
    expect(programKey('arm64', SRC, 0x100000)).not.toBe(k);
    expect(programKey('x86_64', SRC, 0x101000)).not.toBe(k);
    expect(programKey('x86_64', SRC + ' ', 0x100000)).not.toBe(k);
  });

  it('a hit gives the same bytes and symbols as assembling, without running the assembler', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestvm-asmcache-'));
    const { calls, run } = counting('x86_64', SRC, 0x100000);
    const first = await assembleCached(dir, 'x86_64', SRC, 0x100000, run);
    const second = await assembleCached(dir, 'x86_64', SRC, 0x100000, run);
    expect(calls.n).toBe(1);
    expect(second).toEqual(first);
    expect([...second.bytes]).toEqual([...(await assemble('x86_64', SRC, 0x100000)).bytes]);
  });

  it('every bundled sample reads back byte for byte on both architectures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestvm-asmcache-'));
    for (const arch of ['x86_64', 'arm64'] as const) {
      for (const f of readdirSync(packagePath('guests', arch)).filter((n) => n.endsWith('.s'))) {
        const source = readFileSync(packagePath('guests', arch, f), 'utf8');
        const { calls, run } = counting(arch, source, 0x40080000);
        const a = await assembleCached(dir, arch, source, 0x40080000, run);
        const b = await assembleCached(dir, arch, source, 0x40080000, run);
        expect(calls.n, `${arch}/${f}`).toBe(1);
        expect(b, `${arch}/${f}`).toEqual(a);
      }
    }
  });

  it('a corrupt entry is a miss that is assembled and written again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestvm-asmcache-'));
    const { calls, run } = counting('x86_64', SRC, 0x100000);
    await assembleCached(dir, 'x86_64', SRC, 0x100000, run);
    const file = join(dir, `${programKey('x86_64', SRC, 0x100000)}.json`);
    writeFileSync(file, '{"bytes": 5');
    const again = await assembleCached(dir, 'x86_64', SRC, 0x100000, run);
    expect(calls.n).toBe(2);
    expect(again.bytes.length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).bytes).toBe(Buffer.from(again.bytes).toString('base64'));
  });

  it('an error is never cached, and no cache folder or an unwritable one still assembles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestvm-asmcache-'));
    const bad = counting('x86_64', 'mov al, 0x1000\n', 0x100000);
    for (let i = 0; i < 2; i++)
      await expect(assembleCached(dir, 'x86_64', 'mov al, 0x1000\n', 0x100000, bad.run)).rejects.toThrow(
        /does not fit|fit/,
      );
    expect(bad.calls.n).toBe(2);
    expect(readdirSync(dir)).toEqual([]);

    const none = counting('x86_64', SRC, 0x100000);
    await assembleCached(null, 'x86_64', SRC, 0x100000, none.run);
    await assembleCached(null, 'x86_64', SRC, 0x100000, none.run);
    expect(none.calls.n).toBe(2);

    const locked = mkdtempSync(join(tmpdir(), 'nestvm-asmcache-'));
    writeFileSync(join(locked, 'asm'), 'a file where the folder would go');
    chmodSync(locked, 0o500);
    const ro = counting('x86_64', SRC, 0x100000);
    const p = await assembleCached(join(locked, 'asm'), 'x86_64', SRC, 0x100000, ro.run);
    expect(p.bytes.length).toBeGreaterThan(0);
  });
});
