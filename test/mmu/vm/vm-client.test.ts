/*
 * VmClient: the state machine (IDLE / ACTIVE / HOLD / ON_CPU / ORPHANED / DESTROY), the
 * generation protocol (tableEnter mustFlush, kicks of ON_CPU clients), invalidation callbacks,
 * re-entrancy refusals. Once per entry format.
 */
import { describe, expect, it } from 'vitest';
import { gpa } from '../../../mmu/addr.js';
import type { Gpa } from '../../../mmu/addr.js';
import { InvariantError } from '../../../mmu/checks.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import { PROT_RW } from '../../../mmu/prot.js';
import { CS_HOLD, CS_ON_CPU } from '../../../mmu/vm/vm-client.js';
import { frameOf, makeVmRig } from './rig.js';

const P = 4096;

describe.each(FORMAT_NAMES)('vm client (%s)', (name) => {
  const format = FORMATS[name];

  const rig = () => {
    const r = makeVmRig(format);
    const obj = r.ram(8, 'ram');
    r.vms.map(obj, gpa(0), 8 * P, 0, PROT_RW);
    obj.release();
    return { ...r, obj };
  };
  const statesOf = (r: ReturnType<typeof rig>, id: number): string[] =>
    r.log.events.flatMap((e) => (e.type === 'client-state' && e.client === id ? [e.state] : []));

  it('starts IDLE; a fault is ACTIVE around the lookup and back to IDLE', () => {
    const r = rig();
    const c = r.vms.createClient('dev');
    expect(c.state).toBe('IDLE');
    expect(c.name).toBe('dev');
    let seen = '';
    c.onInvalidate(() => {});
    // observe the state from inside the fault, through the GPT's map event
    const orig = r.log.emit.bind(r.log);
    r.log.emit = (e) => {
      if (e.type === 'map') seen = c.state;
      orig(e);
    };
    expect(c.fault(gpa(0x1000), 'write')).toMatchObject({ kind: 'mapped' });
    expect(seen).toBe('ACTIVE');
    expect(c.state).toBe('IDLE');
    expect(statesOf(r, c.id)).toEqual(['IDLE', 'ACTIVE', 'IDLE']);
    const f = r.log.events.find((e) => e.type === 'fault');
    expect(f).toMatchObject({ client: c.id, result: 'mapped' });
  });

  it('tableEnter records the generation; mustFlush exactly when the tables changed since', () => {
    const r = rig();
    const v = r.vms.createClient('vcpu0');
    const first = v.tableEnter();
    expect(first).toEqual({ generation: 1, mustFlush: true }); // a fresh client flushes once
    expect(v.state).toBe('ON_CPU');
    v.tableExit();
    expect(v.tableEnter()).toEqual({ generation: 1, mustFlush: false });
    v.tableExit();

    // a change that adds translations only: no flush
    v.fault(gpa(0), 'read');
    r.vms.map(r.ram(1), gpa(0x10_0000), P, 0, PROT_RW);
    expect(v.tableEnter().mustFlush).toBe(false);
    v.tableExit();

    // a change that removes translations: flush
    r.vms.disconnectFrame(frameOf(r.obj, 0));
    expect(v.isStale).toBe(true);
    expect(v.tableEnter()).toEqual({ generation: 2, mustFlush: true });
    expect(v.isStale).toBe(false);
    v.tableExit();
    expect(v.tableEnter().mustFlush).toBe(false);
    v.tableExit();
  });

  it('an administrative change holds every client and releases it to its previous state', () => {
    const r = rig();
    const dev = r.vms.createClient('dev');
    const vcpu = r.vms.createClient('vcpu');
    vcpu.tableEnter();
    const during: string[] = [];
    dev.onInvalidate(() => during.push(`dev:${dev.state}`, `vcpu:${vcpu.state}`));
    r.vms.fault(gpa(0), 'read');
    r.log.events.length = 0;
    r.vms.disconnectFrame(frameOf(r.obj, 0));
    expect(during).toEqual(['dev:HOLD', 'vcpu:HOLD']);
    expect(dev.state).toBe('IDLE');
    expect(vcpu.state).toBe('ON_CPU');
    expect(vcpu.stateFlags).toBe(CS_ON_CPU);
    expect(statesOf(r, dev.id)).toEqual(['HOLD', 'IDLE']);
    expect(statesOf(r, vcpu.id)).toEqual(['HOLD', 'ON_CPU']);
  });

  it('kicks an ON_CPU client on an older generation, once, and it flushes on re-entry', () => {
    const r = rig();
    const v = r.vms.createClient('vcpu0');
    let kicks = 0;
    let flagsAtKick = 0;
    v.setKick(() => {
      kicks++;
      flagsAtKick = v.stateFlags;
    });
    v.fault(gpa(0), 'read');
    v.fault(gpa(P), 'read');
    v.tableEnter();
    r.vms.disconnectFrame(frameOf(r.obj, 0));
    expect(kicks).toBe(1);
    expect(flagsAtKick).toBe(CS_ON_CPU | CS_HOLD);
    expect(v.isKicked).toBe(true);
    expect(v.state).toBe('ON_CPU'); // still running until the run loop comes round
    r.vms.disconnectFrame(frameOf(r.obj, P));
    expect(kicks).toBe(1); // already kicked during this stay
    expect(r.vms.counters.kicks).toBe(1);
    expect(r.log.events.filter((e) => e.type === 'client-kick')).toEqual([
      { type: 'client-kick', client: v.id, generation: 2 },
    ]);
    v.tableExit();
    expect(v.tableEnter()).toEqual({ generation: 3, mustFlush: true });
    expect(v.isKicked).toBe(false);
    v.tableExit();
  });

  it('does not kick for changes that remove nothing, nor clients that are off the CPU', () => {
    const r = rig();
    const v = r.vms.createClient('vcpu0');
    const idle = r.vms.createClient('vcpu1');
    let kicks = 0;
    v.setKick(() => kicks++);
    idle.setKick(() => kicks++);
    v.tableEnter();
    r.vms.map(r.ram(2), gpa(0x20_0000), 2 * P, 0, PROT_RW);
    r.vms.harvestDirty(gpa(0), 8 * P, new Uint8Array(1));
    r.vms.resetAccessed(gpa(0), 8 * P);
    r.vms.unmap(gpa(0x20_0000), 2 * P);
    expect(kicks).toBe(0);
    idle.fault(gpa(0), 'write');
    r.vms.disconnectFrame(frameOf(r.obj, 0));
    expect(kicks).toBe(1); // v only
  });

  it('the fill hook may take a fault while ON_CPU (VM exit handled in place)', () => {
    const r = rig();
    const v = r.vms.createClient('vcpu0');
    v.tableEnter();
    expect(v.fault(gpa(0x3000), 'exec')).toMatchObject({ kind: 'rights' });
    expect(v.fault(gpa(0x3000), 'read')).toMatchObject({ kind: 'mapped' });
    expect(v.state).toBe('ON_CPU');
    expect(() => v.tableEnter()).toThrow(InvariantError);
    v.tableExit();
    expect(() => v.tableExit()).toThrow(InvariantError);
  });

  it('invalidation callbacks hear the removed range', () => {
    const r = rig();
    const c = r.vms.createClient();
    const heard: [Gpa, number][] = [];
    c.onInvalidate((a, len) => heard.push([a, len]));
    c.fault(gpa(2 * P), 'read');
    c.fault(gpa(5 * P), 'read');
    r.vms.resetAccessed(gpa(0), 8 * P); // nothing accessed yet (faults do not set A)
    expect(heard).toEqual([]);
    r.vms.gpt.markAccessed(r.vms.gpt.lookup(gpa(5 * P))!.pte, false);
    r.vms.resetAccessed(gpa(4 * P), 4 * P);
    r.vms.unmap(gpa(0), 8 * P);
    expect(heard).toEqual([
      [4 * P, 4 * P],
      [0, 8 * P],
    ]);
  });

  it('refuses re-entrant use: a change during a fault, a fault during a change', () => {
    const r = rig();
    const c = r.vms.createClient();
    const d = r.vms.createClient();
    c.fault(gpa(0), 'read');
    d.onInvalidate(() => {
      expect(() => d.fault(gpa(P), 'read')).toThrow(/administrative change/);
      expect(() => r.vms.unmap(gpa(0), 8 * P)).toThrow(/inside another/);
    });
    r.vms.disconnectFrame(frameOf(r.obj, 0));
    expect(d.state).toBe('IDLE');
    expect(c.state).toBe('IDLE');
  });

  it('destroy leaves the vmspace; orphaning on vmspace destroy', () => {
    const r = rig();
    const a = r.vms.createClient('a');
    const b = r.vms.createClient('b');
    const v = r.vms.createClient('v');
    let kicked = 0;
    v.setKick(() => kicked++);
    a.destroy();
    expect(a.state).toBe('DESTROY');
    expect(r.vms.clients()).toEqual([b, v]);
    expect(() => a.fault(gpa(0), 'read')).toThrow(/after destroy/);
    v.tableEnter();
    r.vms.destroy();
    expect(b.state).toBe('ORPHANED');
    expect(b.vmspace).toBeNull();
    expect(b.fault(gpa(0), 'read')).toEqual({ kind: 'orphaned' });
    expect(b.hold(gpa(0), PROT_RW)).toEqual({ kind: 'orphaned' });
    expect(kicked).toBe(1);
    expect(v.state).toBe('ORPHANED');
    v.tableExit();
    expect(() => v.tableEnter()).toThrow(InvariantError);
    b.destroy();
    expect(b.state).toBe('DESTROY');
    expect(statesOf(r, b.id)).toEqual(['IDLE', 'HOLD', 'IDLE', 'ORPHANED', 'DESTROY']);
  });

  it('a client on the CPU cannot be destroyed', () => {
    const r = rig();
    const v = r.vms.createClient();
    v.tableEnter();
    expect(() => v.destroy()).toThrow(/on CPU/);
    v.tableExit();
    v.destroy();
  });
});
