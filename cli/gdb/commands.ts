/*
 * The command dispatcher: one gdb packet in, what to do about it out. The stub's vocabulary:
 *
 *   connection   qSupported, QStartNoAckMode, vMustReplyEmpty, qXfer:features:read (target.xml),
 *                qAttached, ?
 *   threads      qC, qfThreadInfo / qsThreadInfo, qThreadExtraInfo, T, Hg, Hc: one thread per
 *                vCPU, ids 1..N (threads.ts)
 *   registers    g, G, p, P                       the Hg thread's (registers.ts: gdb's numbering and widths)
 *   memory       m, M, X                          guest-virtual through the Hg thread's tables,
 *                                                 side-effect free (DebugMemory)
 *   traps        Z0/z0 (and Z1/z1, the same)      breakpoints: Machine.breakpoints
 *                Z2/Z3/Z4, z2/z3/z4               write, read, access watchpoints: watches.ts
 *   running      c, s, C, S, vCont?, vCont        answered later, by the server, with a stop reply
 *                                                 naming the thread that stopped (threads.ts)
 *   leaving      D (detach: the guest runs on), k (kill: the run ends)
 *   monitor      qRcmd,<hex>                      nestvm's inspection (monitor.ts)
 *
 * A packet the stub does not know gets the empty reply, as the protocol asks. A known packet with
 * bad arguments gets `E` and two hex digits (E01 bad syntax, E0e a register it has not, E14
 * memory it cannot reach, E16 a watchpoint it cannot set, E22 no such thread, as QEMU answers);
 * nothing a client sends throws.
 *
 * Addresses in packets are parsed as BigInt and must fit below 2^53 (the Machine's address type);
 * a larger one is memory the stub cannot reach (E14), not a crash.
 */
import type { VcpuDebug } from '../../emulator/debug/vcpu-debug.js';
import type { Machine } from '../../emulator/machine.js';
import { gva as toGva } from '../../mmu/addr.js';
import { fromHex, MAX_PACKET, toHex } from './packet-codec.js';
import { GDB_REGISTERS, parseRegHex, regHex, type GdbRegister } from './registers.js';
import { readFeature } from './target-xml.js';
import { runMonitor } from './monitor.js';
import { GdbThreads, type Resume } from './threads.js';
import type { Watches } from './watches.js';

export const E_SYNTAX = 'E01';
export const E_REGISTER = 'E0e';
export const E_MEMORY = 'E14';
export const E_WATCH = 'E16';

/** What the server does with a packet. */
export type Action =
  | { readonly kind: 'reply'; readonly text: string; readonly noAck?: boolean }
  | ({ readonly kind: 'resume' } & Resume)
  | { readonly kind: 'detach' }
  | { readonly kind: 'kill' };

const reply = (text: string): Action => ({ kind: 'reply', text });

const SUPPORTED = [
  `PacketSize=${MAX_PACKET.toString(16)}`,
  'qXfer:features:read+',
  'QStartNoAckMode+',
  'swbreak+',
  'hwbreak+',
  'vContSupported+',
].join(';');

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A hex number that fits in a JS number, or null. */
export function hexNumber(text: string): number | null {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) return null;
  const v = BigInt('0x' + text);
  return v > MAX_SAFE ? null : Number(v);
}

/** "addr,length" -> numbers, or null. */
function addrLength(text: string): { addr: number; length: number } | null {
  const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(text);
  if (!m) return null;
  const addr = hexNumber(m[1]);
  const length = hexNumber(m[2]);
  return addr === null || length === null ? null : { addr, length };
}

export class GdbCommands {
  private readonly regs: readonly GdbRegister[];
  /** The threads (vCPUs) and which one gdb has selected. */
  readonly threads: GdbThreads;

  constructor(
    private readonly machine: Machine,
    private readonly watches: Watches,
    /** The stop reply for `?`: what the guest is stopped on now. */
    private readonly lastStop: () => string,
  ) {
    this.regs = GDB_REGISTERS[machine.arch];
    this.threads = new GdbThreads(machine);
  }

  /* The Hg thread's vCPU: registers and memory go through it. */
  private get cpu(): VcpuDebug {
    return this.machine.debug.cpu(this.threads.general);
  }

  /** The action for one packet's payload. */
  dispatch(p: string): Action {
    switch (p[0]) {
      case '?':
        return reply(this.lastStop());
      case 'g':
        return reply(this.regs.map((r) => this.readReg(r)).join(''));
      case 'G':
        return reply(this.writeAll(p.slice(1)));
      case 'p':
        return reply(this.readOne(p.slice(1)));
      case 'P':
        return reply(this.writeOne(p.slice(1)));
      case 'm':
        return reply(this.readMemory(p.slice(1)));
      case 'M':
        return reply(this.writeMemory(p.slice(1), false));
      case 'X':
        return reply(this.writeMemory(p.slice(1), true));
      case 'Z':
      case 'z':
        return reply(this.trap(p[0] === 'Z', p.slice(1)));
      case 'c':
      case 'C':
      case 's':
      case 'S':
        return { kind: 'resume', ...this.threads.plain(p[0] === 's' || p[0] === 'S') };
      case 'D':
        return { kind: 'detach' };
      case 'k':
        return { kind: 'kill' };
      case 'H':
        return reply(this.threads.select(p.slice(1)));
      case 'T':
        return reply(this.threads.alive(p.slice(1)));
      case 'v':
        return this.verbose(p);
      case 'q':
      case 'Q':
        return this.query(p);
      default:
        return reply('');
    }
  }

  private verbose(p: string): Action {
    if (p === 'vCont?') return reply('vCont;c;C;s;S');
    if (p === 'vMustReplyEmpty') return reply('');
    if (p.startsWith('vCont;')) {
      const r = this.threads.vCont(p.slice(6));
      return typeof r === 'string' ? reply(r) : { kind: 'resume', ...r };
    }
    return reply('');
  }

  private query(p: string): Action {
    if (p.startsWith('qSupported')) return reply(SUPPORTED);
    if (p === 'QStartNoAckMode') return { kind: 'reply', text: 'OK', noAck: true };
    if (p === 'qAttached') return reply('1');
    if (p === 'qC') return reply(this.threads.current());
    if (p === 'qfThreadInfo') return reply(this.threads.list());
    if (p === 'qsThreadInfo') return reply('l');
    if (p.startsWith('qThreadExtraInfo,')) return reply(this.threads.extraInfo(p.slice(17)));
    if (p.startsWith('qSymbol')) return reply('OK');
    if (p.startsWith('qXfer:features:read:')) return reply(this.features(p.slice(20)));
    if (p.startsWith('qRcmd,')) {
      const bytes = fromHex(p.slice(6));
      if (bytes === null) return reply(E_SYNTAX);
      const text = runMonitor(this.machine, this.watches, Buffer.from(bytes).toString('latin1'));
      return reply(toHex(Buffer.from(text, 'latin1')));
    }
    return reply('');
  }

  private features(rest: string): string {
    const m = /^([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(rest);
    if (!m) return E_SYNTAX;
    const offset = hexNumber(m[2]);
    const length = hexNumber(m[3]);
    if (offset === null || length === null) return E_SYNTAX;
    return readFeature(this.machine.arch, m[1], offset, Math.min(length, MAX_PACKET - 1)) ?? E_SYNTAX;
  }

  /* ---- registers ---- */

  private readReg(r: GdbRegister): string {
    return regHex(r.uc === null ? 0n : this.cpu.reg(r.uc), r.bits);
  }

  private writeReg(r: GdbRegister, value: bigint): void {
    if (r.uc === null) return; // reads as zero; writes dropped
    if (this.cpu.reg(r.uc) !== value) this.cpu.setReg(r.uc, value);
  }

  private regAt(text: string): GdbRegister | null {
    const n = hexNumber(text);
    return n === null ? null : (this.regs[n] ?? null);
  }

  private readOne(text: string): string {
    const r = this.regAt(text);
    return r === null ? E_REGISTER : this.readReg(r);
  }

  private writeOne(text: string): string {
    const [num, value] = text.split('=');
    const r = this.regAt(num ?? '');
    if (r === null) return E_REGISTER;
    const v = parseRegHex(value ?? '', r.bits);
    if (v === null) return E_SYNTAX;
    this.writeReg(r, v);
    return 'OK';
  }

  private writeAll(text: string): string {
    const values: bigint[] = [];
    let at = 0;
    for (const r of this.regs) {
      const v = parseRegHex(text.slice(at, at + r.bits / 4), r.bits);
      if (v === null) return E_SYNTAX;
      values.push(v);
      at += r.bits / 4;
    }
    if (at !== text.length) return E_SYNTAX;
    this.regs.forEach((r, i) => this.writeReg(r, values[i]));
    return 'OK';
  }

  /* ---- memory ---- */

  private readMemory(text: string): string {
    const a = addrLength(text);
    if (a === null || a.length > MAX_PACKET / 2) return E_SYNTAX;
    const bytes = this.cpu.memory?.read(a.addr, a.length) ?? null;
    return bytes === null ? E_MEMORY : toHex(bytes);
  }

  private writeMemory(text: string, binary: boolean): string {
    const colon = text.indexOf(':');
    const a = colon < 0 ? null : addrLength(text.slice(0, colon));
    if (a === null) return E_SYNTAX;
    const data = binary ? binaryData(text.slice(colon + 1)) : fromHex(text.slice(colon + 1));
    if (data === null || data.length !== a.length) return E_SYNTAX;
    if (data.length === 0) return 'OK'; // gdb probes X support with an empty write
    return this.cpu.write(a.addr, data) ? 'OK' : E_MEMORY;
  }

  /* ---- breakpoints and watchpoints ---- */

  private trap(insert: boolean, text: string): string {
    const m = /^([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)/.exec(text);
    if (!m) return E_SYNTAX;
    const addr = hexNumber(m[2]);
    const kind = hexNumber(m[3]);
    if (addr === null || kind === null) return E_MEMORY;
    const type = Number(m[1]);
    if (type <= 1) {
      if (insert) this.machine.debug.breakpoints.add(addr);
      else this.machine.debug.breakpoints.remove(addr);
      return 'OK';
    }
    const watch = { type: type as 2 | 3 | 4, gva: toGva(addr), length: kind };
    if (!insert) return this.watches.remove(watch) ? 'OK' : E_WATCH;
    return this.watches.add(watch) ?? 'OK';
  }
}

/* The data of an X packet: the codec already undid the escapes of the whole packet. */
const binaryData = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
