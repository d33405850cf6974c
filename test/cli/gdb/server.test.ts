// The stub as a raw client sees it: acks, bad packets (an error reply or a '-', never a crash),
// the monitor commands, Ctrl-C and kill, and every reply to random packets a well-formed one.
import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GdbCommands } from '../../../cli/gdb/commands.js';
import { encodePacket, PacketDecoder, toBytes, toHex } from '../../../cli/gdb/packet-codec.js';
import { Watches } from '../../../cli/gdb/watches.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { Machine } from '../../../emulator/machine.js';
import { startStub } from './stub-harness.js';

/* A minimal remote-protocol client: one packet out, its reply back (acks collected apart). */
class RawClient {
  private readonly decoder = new PacketDecoder();
  private readonly replies: string[] = [];
  readonly acks: string[] = [];
  private waiting: (() => void) | null = null;
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      for (const f of this.decoder.feed(d)) {
        if (f.kind === 'packet') this.replies.push(f.payload);
        else if (f.kind === 'ack' || f.kind === 'nack') this.acks.push(f.kind === 'ack' ? '+' : '-');
      }
      this.waiting?.();
    });
  }
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.on('error', reject);
    });
  }
  raw(bytes: string): void {
    this.socket.write(toBytes(bytes));
  }
  async reply(): Promise<string> {
    while (this.replies.length === 0) await new Promise<void>((r) => (this.waiting = r));
    return this.replies.shift()!;
  }
  async ask(payload: string): Promise<string> {
    this.raw(encodePacket(payload));
    return this.reply();
  }
  async monitor(command: string): Promise<string> {
    const hex = await this.ask('qRcmd,' + toHex(Buffer.from(command)));
    return Buffer.from(hex, 'hex').toString('latin1');
  }
  close(): void {
    this.socket.end();
  }
}

describe('the gdb stub on a raw socket', () => {
  it('acks, refuses bad packets with E.. or -, and keeps serving', async () => {
    const stub = await startStub('run', 'guests/x86_64/paging.s', '--gdb', '0', '--gdb-wait');
    const c = await RawClient.connect(stub.port);
    c.raw('$g#00'); // bad checksum: the stub asks again
    expect(await c.ask('?')).toBe('T05thread:01;');
    expect(c.acks).toEqual(['-', '+']);
    expect(await c.ask('m7f0000000000,8')).toBe('E14'); // paging is still off: not RAM
    expect(await c.ask('mzz,4')).toBe('E01');
    expect(await c.ask('m100000,99999')).toBe('E01');
    expect(await c.ask('pff')).toBe('E0e');
    expect(await c.ask('P0=zz')).toBe('E01');
    expect(await c.ask('G00')).toBe('E01');
    expect(await c.ask('M100000,2:00')).toBe('E01');
    expect(await c.ask('Z9,100000,1')).toBe('E01');
    expect(await c.ask('Z2,7f0000000000,8')).toBe('E16');
    expect(await c.ask('z2,7f0000000000,8')).toBe('E16');
    expect(await c.ask('qXfer:features:read:other.xml:0,100')).toBe('E01');
    expect(await c.ask('qRcmd,zz')).toBe('E01');
    expect(await c.ask('vCont;x')).toBe('E01');
    expect(await c.ask('Qunknown')).toBe('');
    expect(await c.ask('m100000,2')).toBe('fc48'); // cld; lea ...: the stub still answers
    expect(await c.ask('QStartNoAckMode')).toBe('OK');
    expect(await c.ask('qC')).toBe('QC01');
    expect(c.acks).toEqual(['-', ...Array(17).fill('+')]); // none after QStartNoAckMode's own
    c.raw('$k#6b');
    const r = await stub.done;
    expect(r.status).toBe(130);
    expect(r.stderr).toContain('killed by gdb (k)');
  }, 60_000);

  it('writes registers and memory, and runs every monitor command', async () => {
    const stub = await startStub('run', 'guests/x86_64/paging.s', '--gdb', '0', '--gdb-wait');
    const c = await RawClient.connect(stub.port);
    expect(await c.ask('P0=2a00000000000000')).toBe('OK'); // rax = 42
    expect(await c.ask('p0')).toBe('2a00000000000000');
    expect(await c.ask('M200000,4:deadbeef')).toBe('OK');
    expect(await c.ask('m200000,4')).toBe('deadbeef');
    expect(await c.ask('X200004,2:#$')).toBe('OK'); // binary data: travels escaped
    expect(await c.ask('m200004,2')).toBe('2324');
    expect(await c.monitor('help')).toContain('walk -v ADDR');
    expect(await c.monitor('walk 0x100000')).toContain('nested walk of guest-physical 0x100000');
    expect(await c.monitor('walk -v 0x100000')).toContain('guest paging off');
    expect(await c.monitor('gva2gpa 0x100000')).toContain('-> guest-physical 0x100000 (guest paging off)');
    expect(await c.monitor('gpa2hpa 0x100000')).toMatch(/-> host-physical 0x[0-9a-f]+ \(no nested leaf yet/);
    // little-endian words
    expect(await c.monitor('xp /2 0x200000')).toMatch(/0x200000: 0x00002423efbeadde 0x0{16}\n/);
    expect(await c.monitor('stats')).toContain('nested faults');
    const mem = await c.monitor('mem');
    expect(mem).toContain('guest paging off');
    expect(mem).toContain('(nothing mapped yet)');
    expect(await c.monitor('harvest')).toContain('0 dirty page(s)');
    expect(await c.monitor('evict 0x100000')).toContain('nothing to evict');
    expect(await c.monitor('info tlb')).toContain(': 0');
    expect(await c.monitor('frobnicate')).toContain("unknown monitor command 'frobnicate'");
    expect(await c.monitor('walk')).toContain('usage: walk');
    // one step, then the guest's first page is in the nested tables and evictable
    expect(await c.ask('s')).toBe('T05thread:01;');
    expect(await c.monitor('mem')).toMatch(/gpa 0x00100000-0x00101000 -> hpa 0x[0-9a-f]{8}/);
    expect(await c.monitor('evict 0x100000')).toContain('1 nested entry cleared');
    c.close(); // leaving without D is a detach: the guest runs to its end
    const r = await stub.done;
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('paging works');
  }, 60_000);

  it('stops a running guest on Ctrl-C (T02)', async () => {
    const stub = await startStub('run', 'guests/x86_64/loop.s', '--gdb', '0', '--gdb-wait');
    const c = await RawClient.connect(stub.port);
    c.raw(encodePacket('c') + '\x03');
    expect(await c.reply()).toBe('T02thread:01;');
    expect(await c.ask('vCont;s:1')).toBe('T05thread:01;');
    c.raw(encodePacket('D'));
    expect(await c.reply()).toBe('OK');
    const r = await stub.done;
    expect(r.status).toBe(0);
  }, 60_000);
});

describe('the command dispatcher', () => {
  it('answers any packet with a reply or an action, never an exception', async () => {
    const image = await loadGuest('guests/arm64/paging.s', { memBytes: 16 << 20 });
    const machine = new Machine(image, { memBytes: 16 << 20 });
    try {
      const commands = new GdbCommands(machine, new Watches(machine), () => 'T05thread:01;');
      const letters = fc.constantFrom(...'?gGpPmMXZzcsCSDkHTvqQ');
      const packet = fc
        .tuple(letters, fc.string({ maxLength: 40 }), fc.constantFrom('', ',', ':', '=', ';'))
        .map(([a, b, c]) => a + c + b);
      fc.assert(
        fc.property(packet, (p) => {
          const a = commands.dispatch(p);
          expect(['reply', 'resume', 'detach', 'kill']).toContain(a.kind);
          if (a.kind === 'reply') expect(typeof a.text).toBe('string');
        }),
        { numRuns: 400 },
      );
    } finally {
      machine.debug.breakpoints.clear();
      machine.close();
    }
  });
});

describe.each([
  ['x86_64', 'guests/x86_64/paging.s'],
  ['arm64', 'guests/arm64/paging.s'],
])('a watchpoint beside the accesses (%s)', (_arch, guest) => {
  it('takes its page faults as watch events, resumes each, and leaves the run exact', async () => {
    const image = await loadGuest(guest, { memBytes: 16 << 20 });
    const plain = new Machine(image, { memBytes: 16 << 20 });
    const plainStop = plain.run();
    const plainInsns = plain.instructions;
    plain.close();
    const puts = image.symbols.find((s) => s.name === 'puts')!.addr.toString(16);
    const trace = `${process.env.TMPDIR ?? '/tmp'}/nestvm-watch-${process.pid}-${_arch}.jsonl`;
    const stub = await startStub('run', guest, '--gdb', '0', '--gdb-wait', '--trace', trace);
    const c = await RawClient.connect(stub.port);
    expect(await c.ask(`Z0,${puts},1`)).toBe('OK');
    expect(await c.ask('c')).toBe('T05swbreak:;thread:01;'); // paging is on by the first puts
    expect(await c.ask(`z0,${puts},1`)).toBe('OK');
    // the same page as the text the guest writes through 0x7f0000000000, but 2 KiB further on
    expect(await c.ask('Z2,7f0000000800,8')).toBe('OK');
    expect(await c.monitor('mem')).toContain('1 watchpoint(s)');
    expect(await c.ask('c')).toBe(`W${plainStop.code.toString(16).padStart(2, '0')}`);
    const r = await stub.done;
    expect(r.status).toBe(plainStop.code);
    expect(r.stderr).toContain(`after ${plainInsns.toLocaleString('en-US')} instructions`);
    const { readFileSync, rmSync } = await import('node:fs');
    const events = readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; gva?: number });
    rmSync(trace);
    const watches = events.filter((e) => e.type === 'watch');
    expect(watches.length).toBeGreaterThan(0);
    for (const w of watches) expect(Math.floor((w.gva ?? 0) / 4096)).toBe(0x7f0000000000 / 4096);
  }, 60_000);
});

/* A little-endian register value from a `p` reply. */
const regValue = (hexLE: string): number =>
  Number(BigInt('0x' + (hexLE.match(/../g) ?? []).reverse().join('')));

describe('stop replies, as a scripted client reads them', () => {
  it('T05 rwatch:, watch: and awatch: with the exact address, then W00 at the exit', async () => {
    const image = await loadGuest('guests/x86_64/paging.s', { memBytes: 16 << 20 });
    const strcpy = image.symbols.find((s) => s.name === 'strcpy')!.addr.toString(16);
    const stub = await startStub('run', 'guests/x86_64/paging.s', '--gdb', '0', '--gdb-wait');
    const c = await RawClient.connect(stub.port);
    expect(await c.ask(`Z0,${strcpy},1`)).toBe('OK');
    expect(await c.ask('c')).toBe('T05swbreak:;thread:01;');
    expect(await c.ask(`z0,${strcpy},1`)).toBe('OK');
    const src = regValue(await c.ask('p4')).toString(16); // rsi: the text strcpy reads
    expect(await c.ask(`Z3,${src},1`)).toBe('OK');
    expect(await c.ask('c')).toBe(`T05rwatch:${src};thread:01;`); // mov al, [rsi]
    expect(await c.ask(`z3,${src},1`)).toBe('OK');
    expect(await c.ask('Z2,7f0000000000,8')).toBe('OK');
    expect(await c.ask('c')).toBe('T05watch:7f0000000000;thread:01;'); // mov [rdi], al
    expect(await c.ask('z2,7f0000000000,8')).toBe('OK');
    expect(await c.ask('Z4,7f0000000001,1')).toBe('OK');
    expect(await c.ask('c')).toBe('T05awatch:7f0000000001;thread:01;'); // the next byte's store
    expect(await c.ask('z4,7f0000000001,1')).toBe('OK');
    expect(await c.ask('?')).toBe('T05awatch:7f0000000001;thread:01;'); // the last stop, asked again
    expect(await c.ask('c')).toBe('W00');
    const r = await stub.done;
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('remapped');
  }, 60_000);

  it('T0b at a guest fault (gdb can still look), then W with its status', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'nestvm-gdb-fault-'));
    const guest = join(dir, 'fault.s');
    writeFileSync(guest, '; arch: x86_64\nmov rax, 0x40000000\nmov qword ptr [rax], rax\nhlt\n');
    try {
      const stub = await startStub('run', guest, '--gdb', '0', '--gdb-wait');
      const c = await RawClient.connect(stub.port);
      expect(await c.ask('c')).toBe('T0bthread:01;');
      expect(await c.ask('m100000,1')).toBe('48'); // the machine is still there to read
      expect(await c.ask('c')).toBe('W04');
      const r = await stub.done;
      expect(r.status).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('T18 at an instruction limit, then W06', async () => {
    const stub = await startStub(
      'run',
      'guests/x86_64/loop.s',
      '--gdb',
      '0',
      '--gdb-wait',
      '--max-insns',
      '50',
    );
    const c = await RawClient.connect(stub.port);
    expect(await c.ask('c')).toBe('T18thread:01;');
    expect(await c.ask('c')).toBe('W06');
    expect((await stub.done).status).toBe(6);
  }, 60_000);
});
