/*
 * End to end: the two dma sample guests through the real Machine (Unicorn, the fill hook, the
 * nested tables). Each must print its golden console text, and the run must show the engine's
 * page holds where the design says they show: the vmspace's hold counters (machine.stats()),
 * 'hold' / 'release' events of the "devices" client, and dirty pages of the DMA destination that
 * only the engine wrote (the CPU only reads BUF_B).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM, LAYOUT, type Arch } from '../../../emulator/arch.js';
import { DMA_BASE_ARM64, DMA_BASE_X86 } from '../../../emulator/devices/dma.js';
import type { MachineEvent } from '../../../emulator/events.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { Machine, fixedOffsetTranslator } from '../../../emulator/machine.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { PAGE_SIZE } from '../../../mmu/addr.js';
import { EventLog } from '../../../mmu/events.js';
import { PROT_READ, PROT_WRITE } from '../../../mmu/prot.js';

/* The guests' constants (guests/<arch>/dma.s): BUF_A, BUF_B as offsets into RAM, and LEN. */
const BUF_A = 0x20_0800;
const BUF_B = 0x30_0400;
const LEN = 0x3000;

const open: Machine[] = [];
afterEach(() => {
  for (const m of open.splice(0)) m.close();
});

const pages = (g: number, n: number): number[] => {
  const out: number[] = [];
  for (let p = g - (g % PAGE_SIZE); p < g + n; p += PAGE_SIZE) out.push(p);
  return out;
};

async function start(
  arch: Arch,
  opts: { log?: EventLog<MachineEvent>; nested?: boolean } = {},
): Promise<Machine> {
  const img = await loadGuest(join(PACKAGE_ROOT, 'guests', arch, 'dma.s'), { memBytes: DEFAULT_GUEST_MEM });
  const m = new Machine(img, {
    memBytes: DEFAULT_GUEST_MEM,
    ...(opts.log ? { sink: opts.log } : {}),
    ...(opts.nested === false ? { translator: fixedOffsetTranslator } : {}),
  });
  open.push(m);
  return m;
}

describe.each(['x86_64', 'arm64'] as const)('dma-%s through the Machine', (arch) => {
  const base = LAYOUT[arch].ramBase;
  const expected = readFileSync(join(PACKAGE_ROOT, 'guests/expected', `dma-${arch}.txt`), 'utf8');

  it('prints its golden output; holds are counted, evented and leave the destination dirty', async () => {
    const log = new EventLog<MachineEvent>();
    const m = await start(arch, { log });
    const stop = m.run();
    expect(m.console).toBe(expected);
    expect(stop.code).toBe(0);

    // the guest's first touch of the engine's page was a nested fault the VMM routed to the device
    const vcpu = m.vm!.vcpuClient.id;
    const dmaPage = arch === 'x86_64' ? DMA_BASE_X86 : DMA_BASE_ARM64;
    const firstTouch = log.events.find((e) => e.type === 'fault' && e.gpa === dmaPage);
    expect(firstTouch).toMatchObject({ client: vcpu, result: 'mmio' });

    const stats = m.stats()!;
    expect(stats.holds.taken).toBeGreaterThan(0);
    expect(stats.holds.outstanding).toBe(0);
    expect(stats.holds.released).toBe(stats.holds.taken);

    const a = pages(base + BUF_A, LEN);
    const b = pages(base + BUF_B, LEN);
    // the devices' client also holds guest code for a moment (arm64: the vCPU reads the `hvc`
    // word through it at PSCI SYSTEM_OFF): keep the buffers' holds
    const devices = m.vm!.deviceClient.id;
    const mine = (e: { client: number; gpa: number }) =>
      e.client === devices && (a.includes(e.gpa) || b.includes(e.gpa));
    const holds = log.events.filter((e) => e.type === 'hold' && mine(e)) as Extract<
      MachineEvent,
      { type: 'hold' }
    >[];
    const releases = log.events.filter((e) => e.type === 'release' && mine(e)) as Extract<
      MachineEvent,
      { type: 'release' }
    >[];
    expect(log.events.some((e) => e.type === 'release' && e.client === devices && e.dirty && !mine(e))).toBe(
      false,
    );
    // fill: write holds on A; copy: read holds on A, write holds on B; sum: read holds on B; then
    // the two failed copies each hold A's first page for read before the destination refuses
    expect(holds.map((e) => [e.gpa, e.prot])).toEqual([
      ...a.map((g) => [g, PROT_WRITE]),
      ...[0, 1, 2, 3].flatMap((i) => [
        [a[i], PROT_READ],
        [b[i], PROT_WRITE],
      ]),
      ...b.map((g) => [g, PROT_READ]),
      [a[0], PROT_READ],
      [a[0], PROT_READ],
    ]);
    expect(releases).toHaveLength(holds.length);
    expect(releases.filter((e) => e.dirty).map((e) => e.gpa)).toEqual([...a, ...b]);

    // B was written by the engine only; the harvest finds all of its pages dirty
    const { bitmap } = m.harvestDirty();
    for (const g of b) {
      const i = (g - base) / PAGE_SIZE;
      expect(bitmap[i >>> 3] & (1 << (i & 7)), `page ${g.toString(16)}`).not.toBe(0);
    }
  });

  it('without a nested layer the engine answers HOST (status 0x42: ERROR | HOST) and the guest runs to its end', async () => {
    const m = await start(arch, { nested: false });
    const stop = m.run();
    expect(stop.code).toBe(0);
    expect(m.console).toContain('status 0x42 done 0x0000 holds 0x00');
    expect(m.console).toContain('MISMATCH');
  });
});

describe('dma samples', () => {
  it('x86-64 and arm64 compute the same numbers', () => {
    const lines = (arch: Arch) =>
      readFileSync(join(PACKAGE_ROOT, 'guests/expected', `dma-${arch}.txt`), 'utf8')
        .split('\n')
        .filter((l) => /sum|ok/.test(l))
        .map((l) => l.replace(/0x[0-9a-f]{6,8}:/, 'ADDR:'));
    expect(lines('x86_64')).toEqual(lines('arm64'));
  });
});
