// The disassembly window lists real instruction boundaries only: every bundled sample
// (guests/index.json, both architectures) is stepped instruction by instruction in a real TUI
// session, and every address the CPU pane's window lists must be where an instruction begins:
// a PC the guest actually executed, or an address of the linear decode of the image's executable
// segments from their start (the entry point's segment from the entry). The first case is the
// one that was wrong: after `lea rsp, [rip - 7]` (7 bytes at 0x100000) the window listed 0x100002.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM, type Arch } from '../../../emulator/arch.js';
import { loadDisassembler } from '../../../emulator/asm/disassemble.js';
import type { GuestImage } from '../../../emulator/image.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { openTuiSession, type LiveSession } from '../../../cli/tui/machine-port.js';

interface Sample {
  readonly name: string;
  readonly arch: Arch;
  readonly path: string;
}
const SAMPLES = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'guests/index.json'), 'utf8')) as { samples: Sample[] }
).samples;
const STEPS = 150;

const open: LiveSession[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.session.close();
});

/** Instruction starts of a linear decode of every executable segment (from the entry in its own). */
async function linearBoundaries(image: GuestImage): Promise<Set<number>> {
  const dis = await loadDisassembler(image.arch);
  const out = new Set<number>();
  for (const seg of image.segments) {
    if (!seg.flags.includes('x')) continue;
    const inside = image.entry >= seg.gpa && image.entry < seg.gpa + seg.data.length;
    const from = inside ? image.entry - seg.gpa : 0;
    for (const i of dis(seg.data.subarray(from), seg.gpa + from)) out.add(i.addr);
  }
  return out;
}

describe('the disassembly window starts on instruction boundaries', () => {
  it('knows the samples', () => {
    expect(SAMPLES.length).toBeGreaterThanOrEqual(12);
    expect(new Set(SAMPLES.map((s) => s.arch))).toEqual(new Set(['x86_64', 'arm64']));
  });

  for (const sample of SAMPLES) {
    it(`${sample.name}: every listed address, ${STEPS} steps`, async () => {
      const image = await loadGuest(join(PACKAGE_ROOT, sample.path), { memBytes: DEFAULT_GUEST_MEM });
      const live = await openTuiSession(image, {
        guest: sample.name,
        machine: { memBytes: DEFAULT_GUEST_MEM },
        schedule: () => {},
      });
      open.push(live);
      const linear = await linearBoundaries(image);
      const executed = new Set<number>();
      const listed: number[][] = [];
      const linesBeforePc: number[] = [];
      for (let step = 0; step <= STEPS; step++) {
        const snap = live.session.snapshot();
        const pc = snap.cpu.disasm.find((l) => l.isPc)?.addr;
        expect(pc).toBeDefined();
        executed.add(pc!);
        listed.push(snap.cpu.disasm.map((l) => l.addr));
        linesBeforePc.push(snap.cpu.disasm.findIndex((l) => l.isPc));
        if (snap.run.state === 'stopped') break;
        live.session.step();
      }
      const wrong = listed.flat().filter((a) => !executed.has(a) && !linear.has(a));
      expect(wrong.map((a) => '0x' + a.toString(16))).toEqual([]);
      // the window did show instructions before the PC once the guest had run a few
      expect(Math.max(...linesBeforePc.slice(5))).toBeGreaterThan(0);
    });
  }

  it('x86-64 memtouch: after stepping past `lea rsp, [rip - 7]` the window shows it whole', async () => {
    const image = await loadGuest(join(PACKAGE_ROOT, 'guests/x86_64/memtouch.s'), {
      memBytes: DEFAULT_GUEST_MEM,
    });
    const live = await openTuiSession(image, {
      guest: 'memtouch',
      machine: { memBytes: DEFAULT_GUEST_MEM },
      schedule: () => {},
    });
    open.push(live);
    live.session.step();
    const lines = live.session.snapshot().cpu.disasm;
    const pc = lines.findIndex((l) => l.isPc);
    expect(lines[pc].addr).toBe(0x100007);
    expect(lines[pc - 1]).toMatchObject({ addr: 0x100000, text: 'lea rsp, [rip - 7]' });
    expect(lines.map((l) => l.addr)).not.toContain(0x100002);
  });
});
