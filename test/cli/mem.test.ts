/*
 * `nestvm mem`, per architecture and per entry format: the guest's own ranges and the nested map
 * of the paging sample at its end, each checked against the machine's own translation (the GPT's
 * walk and frameOf, never an assumed hpa == gpa), --json equal to the text, and the look at the
 * machine free of side effects (host RAM and the run figures unchanged).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM, type Arch } from '../../emulator/arch.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { Machine } from '../../emulator/machine.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { gpa, gva, PAGE_SIZE } from '../../mmu/addr.js';
import type { FormatName } from '../../mmu/gpt/entry-format.js';
import { gptNestedWalker, walkTwoDimensional } from '../../mmu/guest-walk/index.js';
import { memReport, memText } from '../../cli/mem-report.js';
import { EXIT } from '../../cli/exit-codes.js';
import { runCli } from './capture.js';
import { ARCH_FORMATS } from '../emulator/nested/nested-harness.js';

const sample = (arch: Arch) => join(PACKAGE_ROOT, 'guests', arch, 'paging.s');

async function stoppedMachine(arch: Arch, format: FormatName) {
  const image = await loadGuest(sample(arch), { memBytes: DEFAULT_GUEST_MEM });
  const machine = new Machine(image, { memBytes: DEFAULT_GUEST_MEM, format });
  return { image, machine, stop: machine.run() };
}

const CASES = ARCH_FORMATS;

describe.each(CASES)('nestvm mem (%s, %s)', (arch, format) => {
  it('lists the guest ranges and the nested map as the machine translates them', async () => {
    const cli = await runCli('mem', sample(arch), '--format', format, '--json');
    expect(cli.status).toBe(0);
    const j = JSON.parse(cli.stdout);
    expect(j).toMatchObject({ arch, paging: arch, stop: { code: 0 } });
    const { machine } = await stoppedMachine(arch, format);
    try {
      const vm = machine.vm!;
      // the high alias every paging sample maps: one of the guest ranges, reaching what the GPT says
      const high = j.guestMappings.find((g: { gva: number }) => g.gva === 0x7f00_0000_0000);
      expect(high).toBeDefined();
      for (const g of j.guestMappings) {
        const w = walkTwoDimensional(
          machine.guestPaging(),
          gva(g.gva),
          'read',
          false,
          gptNestedWalker(vm.vmspace.gpt),
          vm.mem,
        );
        expect(w.guest.kind === 'ok' && w.guest.gpa).toBe(g.gpa);
        expect(g.end - g.gva).toBe(g.size);
        expect(g.kernel).toMatch(/^r[w-][x-]$/);
      }
      expect(j.nested.length).toBeGreaterThan(0);
      for (const n of j.nested)
        for (let off = 0; off < n.size; off += PAGE_SIZE)
          expect(machine.frameOf(gpa(n.gpa + off))! * PAGE_SIZE).toBe(n.hpa + off);
      expect(j.regions.some((r: { kind: string }) => r.kind === 'memory')).toBe(true);
    } finally {
      machine.close();
    }
  });

  it('prints the same ranges as text, and reads without side effects', async () => {
    const { image, machine, stop } = await stoppedMachine(arch, format);
    try {
      const state = () => ({
        ram: createHash('sha256').update(machine.vm!.mem.u8).digest('hex'),
        stats: machine.stats(),
        generation: machine.vm!.vmspace.generation,
      });
      const before = state();
      const r = memReport(machine, image.origin, stop);
      expect(state()).toEqual(before);
      const text = memText(r);
      for (const n of r.nested) expect(text).toContain(`-> hpa 0x${n.hpa.toString(16).padStart(8, '0')}`);
      expect(text).toContain(`guest-virtual mappings (${arch} guest tables`);
      expect(text).toContain(`nested map (${machine.vm!.vmspace.format.title})`);
    } finally {
      machine.close();
    }
  });
});

describe('nestvm mem', () => {
  it('says so when the guest does not page, and lists what the guest touched so far', async () => {
    const r = await runCli('mem', 'memtouch', '--at-insns', '300');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('guest paging off');
    expect(r.stdout).toMatch(/-> hpa 0x[0-9a-f]{8} +4K +R W X MT=6 \(WB\) IPAT A/);
  });

  it('refuses --at-insns with --max-insns (status 2)', async () => {
    const r = await runCli('mem', 'memtouch', '--at-insns', '3', '--max-insns', '3');
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--at-insns and --max-insns both say where to stop/);
  });
});
