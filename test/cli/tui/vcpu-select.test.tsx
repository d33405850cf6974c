/*
 * The CPU pane over a REAL Machine of four vCPUs (smp-sum, both architectures): `c` shows the
 * next vCPU, `C` the previous. The pane's title names it ("CPU 2 of 4"), its registers and PC are
 * that vCPU's own (read back from its engine), its power state is the one the round-robin gives
 * it, and the Holds pane marks its row. With one vCPU the key is refused in one line and nothing
 * else changes on the screen.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Arch } from '../../../emulator/arch.js';
import { App } from '../../../cli/tui/app.js';
import { openTuiSession, type LiveSession } from '../../../cli/tui/machine-port.js';
import { loadGuestFile, MEM } from '../../emulator/nested/nested-harness.js';
import { renderAt, type Rendered } from './render-at.js';

const PC = { x86_64: 'rip', arm64: 'pc' } as const;
const open: { s: LiveSession; r: Rendered }[] = [];
afterEach(() => {
  for (const { s, r } of open.splice(0)) {
    r.unmount();
    s.session.close();
  }
});

async function start(arch: Arch, cpus: number) {
  const image = await loadGuestFile(arch, 'smp-sum.s');
  const s = await openTuiSession(image, {
    guest: 'smp-sum.s',
    machine: { memBytes: MEM, cpus, quantum: 500 },
    sliceSize: 20_000,
    schedule: () => {}, // the keys drive the guest
  });
  const r = renderAt(<App session={s.session} columns={160} rows={50} refreshMs={1000} />, 160, 50);
  open.push({ s, r });
  return { ...s, r };
}

/** The PC register's value as the CPU pane draws it. */
function pcShown(frame: string, arch: Arch): bigint {
  const m = frame.match(new RegExp(`\\b${PC[arch]} *\\*? *([0-9a-f]{16})`));
  if (m === null) throw new Error(`no ${PC[arch]} on the screen:\n${frame}`);
  return BigInt(`0x${m[1]}`);
}

describe.each<Arch>(['x86_64', 'arm64'])('tui --cpus 4 on %s: the vCPU selector', (arch) => {
  it('c and C switch the CPU pane between vCPUs; the Holds pane marks the one shown', async () => {
    const { machine, r } = await start(arch, 4);
    await r.press('n', 'n', 'n'); // 60,000: the boot CPU has filled the array and woken the others
    expect(machine.instructions).toBe(60_000);
    const cores = machine.cpus.cores;
    expect(cores.filter((c) => c.power === 'on').length).toBeGreaterThan(1);
    let f = r.lastFrame();
    expect(f).toContain('CPU 0 of 4');
    const seen: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      f = r.lastFrame();
      expect(f).toContain(`CPU ${i} of 4`);
      expect(f).toContain(
        `vcpu${i} ${{ on: 'running', off: 'powered off', halted: 'halted' }[cores[i].power]}`,
      );
      expect(pcShown(f, arch)).toBe(cores[i].uc.regRead64(PC[arch]));
      const marked = f.split('\n').filter((l) => />[ *]c\d+ vcpu\d/.test(l));
      expect(marked.length).toBe(1);
      expect(marked[0]).toContain(`vcpu${i} `);
      seen.push(pcShown(f, arch));
      await r.press('c');
    }
    expect(r.lastFrame()).toContain('CPU 0 of 4'); // round
    expect(new Set(seen).size).toBeGreaterThan(1); // the vCPUs really are at different places
    await r.press('C');
    expect(r.lastFrame()).toContain('CPU 3 of 4');
    expect(pcShown(r.lastFrame(), arch)).toBe(cores[3].uc.regRead64(PC[arch]));
  });
});

describe('tui --cpus 1: the vCPU selector', () => {
  it('is refused in one line; the CPU pane and the Holds rows stay as they were', async () => {
    const { r } = await start('x86_64', 1);
    await r.press('n');
    const before = r.lastFrame();
    expect(before).toMatch(/1 CPU {2}paused/);
    expect(before).not.toMatch(/CPU \d of/);
    await r.press('c');
    const after = r.lastFrame();
    expect(after).toContain('! vCPU: this guest has one (start it with --cpus N for several)');
    expect(after).not.toMatch(/CPU \d of/);
    expect(after).not.toMatch(/>[ *]c\d+ vcpu/);
    const panes = (f: string) => f.split('\n').slice(0, -3).join('\n'); // all but the status lines
    expect(panes(after)).toBe(panes(before));
  });
});
