// `nestvm disasm --json`, per architecture: the same listing as the text, one object; each
// instruction's bytes are the image's own bytes at its address.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM } from '../../emulator/arch.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { runCli } from './capture.js';

describe.each(['x86_64', 'arm64'])('nestvm disasm --json (%s)', (arch) => {
  it('lists the instructions the text lists, with the image bytes and labels', async () => {
    const file = join(PACKAGE_ROOT, 'guests', arch, 'hello.s');
    const text = await runCli('disasm', file);
    const r = await runCli('disasm', file, '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    const image = await loadGuest(file, { memBytes: DEFAULT_GUEST_MEM });
    expect(j).toMatchObject({ arch, entry: image.entry });
    const insns = j.segments.flatMap((s: { insns: unknown[] }) => s.insns);
    const lines = text.stdout.split('\n').filter((l) => /^ {2}[0-9a-f]{8} {2}/.test(l));
    expect(insns).toHaveLength(lines.length);
    const seg = image.segments.find((s) => s.flags.includes('x'))!;
    for (const i of insns.slice(0, 8)) {
      const at = i.addr - seg.gpa;
      expect(i.bytes).toBe(Buffer.from(seg.data.subarray(at, at + i.bytes.length / 2)).toString('hex'));
    }
    expect(insns[0].labels).toEqual(image.symbols.filter((s) => s.addr === insns[0].addr).map((s) => s.name));
  });
});
