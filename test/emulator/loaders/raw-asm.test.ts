import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM } from '../../../emulator/arch.js';
import { AsmError } from '../../../emulator/asm/assemble.js';
import { BadGuestError } from '../../../emulator/image.js';
import { archFromPath, chooseAsmArch, loadAsm } from '../../../emulator/loaders/asm.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { loadRaw } from '../../../emulator/loaders/raw.js';
import { buildElf, EM_X86_64 } from './elf-builder.js';

const MEM = DEFAULT_GUEST_MEM;

async function rejects(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(BadGuestError);
    return (e as Error).message;
  }
  throw new Error('expected BadGuestError');
}

describe('raw loader', () => {
  const bytes = new Uint8Array([0x1f, 0x20, 0x03, 0xd5]);

  it('places the file at the default load address and starts at its first byte', () => {
    const img = loadRaw(bytes, 'k.bin', { arch: 'arm64', memBytes: MEM });
    expect(img).toMatchObject({ arch: 'arm64', entry: 0x4008_0000, kind: 'raw', symbols: [] });
    expect(img.segments).toEqual([{ gpa: 0x4008_0000, data: bytes, memSize: 4, flags: 'rwx' }]);
  });

  it('honours --load', () => {
    const img = loadRaw(bytes, 'k.bin', { arch: 'x86_64', load: 0x2000, memBytes: MEM });
    expect(img.entry).toBe(0x2000);
    expect(img.segments[0].gpa).toBe(0x2000);
  });

  it('needs --arch, bytes, and room in RAM', async () => {
    expect(await rejects(() => loadRaw(bytes, 'k.bin', { memBytes: MEM }))).toBe(
      'k.bin: not ELF and not assembly source (.s/.asm), so it is loaded as a raw binary, which needs --arch',
    );
    expect(
      await rejects(() => loadRaw(new Uint8Array(0), 'k.bin', { arch: 'arm64', memBytes: MEM })),
    ).toMatch(/empty file/);
    expect(await rejects(() => loadRaw(bytes, 'k.bin', { arch: 'arm64', load: 0x1000, memBytes: MEM }))).toBe(
      'k.bin: raw binary at [0x1000, 0x1004) is outside guest RAM [0x40000000, 0x41000000)',
    );
    expect(
      await rejects(() => loadRaw(bytes, 'k.bin', { arch: 'x86_64', load: MEM - 2, memBytes: MEM })),
    ).toMatch(/outside guest RAM/);
  });
});

describe('assembly loader', () => {
  it('picks the arch: --arch, then the header, then the path', () => {
    expect(chooseAsmArch('x.s', 'nop', 'arm64')).toBe('arm64');
    expect(chooseAsmArch('guests/x86_64/x.s', '// arch: arm64\nnop', undefined)).toBe('arm64');
    expect(chooseAsmArch('guests/aarch64/x.s', 'nop', undefined)).toBe('arm64');
    expect(chooseAsmArch('/home/me/x86-64/lab1.asm', 'nop', undefined)).toBe('x86_64');
    expect(archFromPath('a/x86_64/b/arm64/c.s')).toBeNull();
  });

  it('refuses an unknown or contradicting arch, or none at all', async () => {
    expect(await rejects(() => chooseAsmArch('x.s', '\n; arch: sparc', undefined))).toBe(
      "x.s:2: unknown architecture 'sparc' (use x86_64 or arm64)",
    );
    expect(await rejects(() => chooseAsmArch('x.s', '; arch: x86_64', 'arm64'))).toBe(
      'x.s:1: the source says arch: x86_64 but --arch arm64 was given',
    );
    expect(await rejects(() => chooseAsmArch('lab/x.s', 'nop', undefined))).toBe(
      "lab/x.s: cannot tell the architecture: add a '; arch: x86_64' or '// arch: arm64' line, or pass --arch",
    );
  });

  it('assembles at the load address with labels as symbols and _start as entry', async () => {
    const img = await loadAsm('; arch: x86_64\nnop\n_start: hlt\n', 'a.s', { memBytes: MEM });
    expect(img).toMatchObject({ arch: 'x86_64', kind: 'asm', entry: 0x10_0001 });
    expect(img.segments).toEqual([
      { gpa: 0x10_0000, data: new Uint8Array([0x90, 0xf4]), memSize: 2, flags: 'rwx' },
    ]);
    expect(img.symbols).toEqual([{ name: '_start', addr: 0x10_0001, size: 1 }]);
  });

  it('starts at the first byte without _start, and honours --load', async () => {
    const img = await loadAsm('top: nop', 'guests/arm64/t.s', { load: 0x4010_0000, memBytes: MEM });
    expect(img.entry).toBe(0x4010_0000);
    expect(img.segments[0].gpa).toBe(0x4010_0000);
  });

  it('reports assembly errors with the path and line', async () => {
    const msg = await rejects(loadAsm('// arch: arm64\nnop\nbogus x0\n', 'guests/t.s', { memBytes: MEM }));
    expect(msg).toBe('guests/t.s:3: invalid mnemonic: bogus x0');
    await expect(loadAsm('; arch: x86_64\nfoo', 'a.s', { memBytes: MEM })).rejects.toBeInstanceOf(AsmError);
  });

  it('refuses an empty program and code outside RAM', async () => {
    expect(await rejects(loadAsm('; arch: x86_64\n; nothing\n', 'e.s', { memBytes: MEM }))).toBe(
      'e.s: assembles to nothing (no instructions or data)',
    );
    expect(await rejects(loadAsm('// arch: arm64\nnop', 'e.s', { load: 0x1000, memBytes: MEM }))).toMatch(
      /assembled code at \[0x1000, 0x1004\) is outside guest RAM/,
    );
  });
});

describe('loadGuest dispatch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nestvm-loaders-'));
  const elfPath = join(dir, 'prog');
  writeFileSync(
    elfPath,
    buildElf({
      machine: EM_X86_64,
      entry: 0x10_0000,
      segments: [{ vaddr: 0x10_0000, data: new Uint8Array([0xf4]), flags: 5 }],
    }),
  );
  const asmPath = join(dir, 'prog.S');
  writeFileSync(asmPath, '; arch: x86_64\nhlt\n');
  const rawPath = join(dir, 'prog.bin');
  writeFileSync(rawPath, new Uint8Array([0xf4]));
  mkdirSync(join(dir, 'sub.s'));

  it('sniffs ELF by magic, source by extension, raw otherwise', async () => {
    expect((await loadGuest(elfPath, { memBytes: MEM })).kind).toBe('elf');
    expect((await loadGuest(asmPath, { memBytes: MEM })).kind).toBe('asm');
    expect((await loadGuest(rawPath, { memBytes: MEM, arch: 'x86_64' })).kind).toBe('raw');
  });

  it('ignores a UTF-8 byte order mark at the start of a source file', async () => {
    const bomPath = join(dir, 'bom.s');
    writeFileSync(bomPath, '\uFEFF; arch: x86_64\nhlt\n');
    expect(Array.from((await loadGuest(bomPath, { memBytes: MEM })).segments[0].data)).toEqual([0xf4]);
  });

  it('refuses --load for an ELF', async () => {
    expect(await rejects(loadGuest(elfPath, { memBytes: MEM, load: 0x2000 }))).toBe(
      `${elfPath}: --load applies to raw binaries and assembly source; an ELF places itself`,
    );
  });

  it('reports missing and unreadable files', async () => {
    expect(await rejects(loadGuest(join(dir, 'nope.s'), { memBytes: MEM }))).toBe(
      `${join(dir, 'nope.s')}: cannot read guest: no such file`,
    );
    expect(await rejects(loadGuest(join(dir, 'sub.s'), { memBytes: MEM }))).toBe(
      `${join(dir, 'sub.s')}: cannot read guest: is a directory, not a guest program`,
    );
  });
});
