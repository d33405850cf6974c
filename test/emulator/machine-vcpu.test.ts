import { afterEach, describe, expect, it } from 'vitest';
import type { StopReason } from '../../emulator/stop-reason.js';
import { arm64Vcpu, isHvc, isSemihostHlt } from '../../emulator/vcpu-arm64.js';
import { x86Vcpu } from '../../emulator/vcpu-x86.js';
import type { VcpuHost } from '../../emulator/vcpu.js';
import { engine, type TestEngine } from './unicorn/engine.js';

const open: TestEngine[] = [];
afterEach(() => {
  for (const e of open.splice(0)) e.uc.close();
});

function host(e: TestEngine): VcpuHost & { stops: Omit<StopReason, 'pc'>[] } {
  const stops: Omit<StopReason, 'pc'>[] = [];
  return {
    stops,
    console: () => {},
    stop: (s) => {
      stops.push(s);
      e.uc.emuStop();
    },
    readGuest: () => ({ kind: 'nomap', gpa: 0 as never, access: 'read' }),
    portRead: () => 0,
    portWrite: () => {},
    fetchWord: (va) => new DataView(e.ram).getUint32(va - e.base, true),
  };
}

describe('arm64 vCPU', () => {
  it('recognises hvc #imm and hlt #0xf000 encodings', () => {
    expect(isHvc(0xd400_0002)).toBe(true); // hvc #0
    expect(isHvc(0xd400_0022)).toBe(true); // hvc #1
    expect(isHvc(0xd400_0001)).toBe(false); // svc #0
    expect(isSemihostHlt(0xd45e_0000)).toBe(true); // hlt #0xf000
    expect(isSemihostHlt(0xd440_0000)).toBe(false); // hlt #0
  });

  for (const hce of [false, true]) {
    it(`PSCI over hvc #0 works whether hvc is UNDEFINED or an HVC exception (SCR_EL3.HCE=${hce})`, async () => {
      const src =
        'movz w0, #0\n movk w0, #0x8400, lsl #16\n hvc #0\n mov x5, x0\n' +
        'movz w0, #0x8\n movk w0, #0x8400, lsl #16\n hvc #0\n wfi';
      const e = await engine('arm64', src);
      open.push(e);
      if (hce) e.uc.regWrite('scr_el3', e.uc.regRead('scr_el3') | 0x100);
      const h = host(e);
      arm64Vcpu.install(e.uc, h);
      arm64Vcpu.reset(e.uc, e.entry, e.base + 0x10_0000);
      e.uc.emuStart(e.entry, 0, 0, 100);
      expect(e.uc.regRead('x5')).toBe(0x1_0000); // PSCI_VERSION returned, execution went on
      expect(h.stops).toEqual([{ reason: 'exit', code: 0, message: 'guest called PSCI SYSTEM_OFF' }]);
      expect(e.uc.instructionsLastRun()).toBe(7);
    });
  }

  it('hvc with a non-zero immediate is not a PSCI call', async () => {
    const e = await engine('arm64', 'hvc #5');
    open.push(e);
    const h = host(e);
    arm64Vcpu.install(e.uc, h);
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(h.stops).toHaveLength(1);
    expect(h.stops[0]).toMatchObject({ reason: 'fault', code: 4 });
    expect(h.stops[0].message).toMatch(/undefined instruction 0xd40000a2/);
  });
});

describe('guest paging state for the fill hook', () => {
  it('x86-64: off at reset, then CR3/WP/NXE as the guest set them', async () => {
    const src =
      'mov eax, 0x300000\n mov cr3, rax\n mov rax, cr4\n or eax, 0x20\n mov cr4, rax\n' +
      'mov ecx, 0xc0000080\n rdmsr\n or eax, 0x800\n wrmsr\n' +
      'mov rax, cr0\n or eax, 0x80010000\n mov cr0, rax\n hlt';
    const e = await engine('x86_64', src);
    open.push(e);
    expect(x86Vcpu.paging(e.uc)).toBeNull();
    expect(x86Vcpu.user(e.uc)).toBe(false);
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).toBe(0);
    const p = x86Vcpu.paging(e.uc);
    expect(p?.arch).toBe('x86_64');
    expect(p?.cfg).toMatchObject({ cr3: 0x30_0000, wp: true, nxe: true, smep: false });
  });

  it('arm64: off while SCTLR_EL1.M is clear, then TTBR0/TCR decoded', async () => {
    const e = await engine('arm64', 'wfi');
    open.push(e);
    expect(arm64Vcpu.paging(e.uc)).toBeNull();
    expect(arm64Vcpu.user(e.uc)).toBe(false); // EL1
    e.uc.regWrite('ttbr0_el1', 0x0001_0000_4030_0000n); // ASID 1 in bits 63:48
    e.uc.regWrite('tcr_el1', 0x5_0000_0000 + 0x80_0000 + 0x10); // T0SZ 16, EPD1, IPS 48 bits
    e.uc.regWrite('sctlr_el1', e.uc.regRead('sctlr_el1') | 1);
    const p = arm64Vcpu.paging(e.uc);
    expect(p?.arch).toBe('arm64');
    expect(p?.cfg).toMatchObject({ ttbr0: 0x4030_0000, t0sz: 16, epd1: true, paBits: 48, ha: false });
  });
});
