import { describe, expect, it } from 'vitest';
import {
  PSCI_FEATURES,
  PSCI_NOT_SUPPORTED,
  PSCI_SYSTEM_OFF,
  PSCI_SYSTEM_RESET,
  PSCI_VERSION,
  psciCall,
} from '../../../emulator/devices/psci.js';
import { FakeHost } from './fake-host.js';

describe('PSCI', () => {
  it('SYSTEM_OFF (0x84000008) stops with status 0', () => {
    const h = new FakeHost();
    expect(PSCI_SYSTEM_OFF).toBe(0x8400_0008);
    expect(psciCall(PSCI_SYSTEM_OFF, 0, h)).toEqual({ kind: 'stopped' });
    expect(h.stops).toEqual([{ reason: 'exit', code: 0, message: 'guest called PSCI SYSTEM_OFF' }]);
  });

  it('SYSTEM_RESET stops too (nestvm does not reboot)', () => {
    const h = new FakeHost();
    expect(psciCall(PSCI_SYSTEM_RESET, 0, h)).toEqual({ kind: 'stopped' });
    expect(h.stops[0].code).toBe(0);
    expect(h.stops[0].message).toMatch(/SYSTEM_RESET/);
  });

  it('answers VERSION and FEATURES, and NOT_SUPPORTED for the rest', () => {
    const h = new FakeHost();
    expect(psciCall(PSCI_VERSION, 0, h)).toEqual({ kind: 'return', x0: 0x1_0000 });
    expect(psciCall(PSCI_FEATURES, PSCI_SYSTEM_OFF, h)).toEqual({ kind: 'return', x0: 0 });
    expect(psciCall(PSCI_FEATURES, 0xc400_0003, h)).toEqual({ kind: 'return', x0: PSCI_NOT_SUPPORTED });
    expect(psciCall(0xc400_0003, 1, h)).toEqual({ kind: 'return', x0: -1 }); // CPU_ON
    expect(h.stops).toEqual([]);
  });
});
