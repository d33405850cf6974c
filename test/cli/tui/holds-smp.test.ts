/*
 * The live view of a machine with several vCPUs: the Holds pane has one client row per vCPU
 * ("vcpu0" .. "vcpu3"), each with its state and the generation its client last recorded; a
 * machine of one vCPU shows no generation (its rows are as before).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clientLine } from '../../../cli/tui/holds-pane.js';
import { MachineTuiPort } from '../../../cli/tui/machine-port.js';
import { loadDisassembler } from '../../../emulator/asm/disassemble.js';
import { closeAll, loadGuestFile, machine } from '../../emulator/nested/nested-harness.js';

afterEach(closeAll);

describe('Holds pane with --cpus 4', () => {
  it('one row per vCPU with its state and recorded generation', async () => {
    const img = await loadGuestFile('arm64', 'smp-sum.s');
    const m = machine(img, { cpus: 4, quantum: 500 });
    for (let i = 0; i < 8; i++) m.runSlice(500);
    m.harvestDirty(); // moves the generation on: the vCPUs that ran since recorded an older one
    const port = new MachineTuiPort(m, 'smp-sum', await loadDisassembler('arm64'));
    const rows = port.clients().filter((c) => c.name.startsWith('vcpu'));
    expect(rows.map((c) => c.name)).toEqual(['vcpu0', 'vcpu1', 'vcpu2', 'vcpu3']);
    expect(rows.every((c) => typeof c.generation === 'number')).toBe(true);
    expect(clientLine(rows[1]).text).toMatch(/^ c\d+ vcpu1 +IDLE +0 holds {2}gen \d+$/);
    const one = machine(img, { cpus: 1 });
    const solo = new MachineTuiPort(one, 'smp-sum', await loadDisassembler('arm64')).clients();
    expect(solo.every((c) => c.generation === undefined)).toBe(true);
  });
});
