/*
 * The stub's socket: one TCP listener, one gdb at a time, and the loop that runs the guest
 * between gdb's packets (QEMU's -gdb / -s, and -S for --gdb-wait).
 *
 *   listen        on HOST:PORT (port 0: the system picks one); the chosen address is printed
 *                 on the log line, so a script can read it
 *   the guest     held (--gdb-wait: before its first instruction; whenever gdb is told of a stop;
 *                 from the moment a gdb connects), or running: for gdb's c/s (run-control.ts), or
 *                 freely while no gdb holds it (no --gdb-wait, or after a detach)
 *   a connection  bytes -> PacketDecoder frames -> acks ('+', or '-' for a bad frame: gdb sends it
 *                 again) -> GdbCommands.dispatch -> a reply, a resume, a detach or a kill;
 *                 after QStartNoAckMode neither side acks; 0x03 while running is Ctrl-C (T02)
 *   the end       the guest stops with no gdb holding it, gdb kills it (k), gdb has been told it
 *                 exited (W), or nestvm itself is interrupted: the RunEnd the command reports
 *   threads       one per vCPU (threads.ts); every stop reply names the vCPU that stopped, and the
 *                 stub selects it for gdb's next register reads and steps, as gdb does; Ctrl-C
 *                 names the vCPU whose turn it was
 *
 * Hosted (`nestvm tui --gdb`): the live view runs the guest whenever gdb does not hold it, through
 * hostSlice(), so one stub serves both commands. The stub then never runs the guest freely
 * itself; it runs it only for gdb's c and s. hold() tells the view who has the guest: while a gdb
 * is connected (or --gdb-wait waits for one) the view runs nothing, and it shows gdb's last stop.
 * serve() returns when the host calls shutdown() (the view quit), not when the guest ends.
 *
 * A second gdb while one is connected is refused (its socket is closed). A gdb that goes away
 * without D counts as a detach: its breakpoints and watchpoints are removed, the guest runs on.
 * The guest runs in slices with a turn of the event loop at least every BURST_MS, so packets,
 * Ctrl-C and new connections are heard while it runs.
 *
 * Invariants: one reply per packet, in order; nothing a client sends throws out of here (a
 * dispatcher error is answered E01 and logged); the listener is closed when serve() returns.
 */
import net from 'node:net';
import { isPause } from '../../emulator/debug/debug-pause.js';
import type { Machine } from '../../emulator/machine.js';
import type { StopReason } from '../../emulator/stop-reason.js';
import type { Output } from '../context.js';
import { EnvironmentError } from '../errors.js';
import { EXIT_INTERRUPTED, type RunEnd } from '../run-loop.js';
import { GdbCommands, type Action } from './commands.js';
import { encodePacket, PacketDecoder, toBytes, type Frame } from './packet-codec.js';
import { RunControl, type Outcome } from './run-control.js';
import { stopThread, threadTag, type Resume } from './threads.js';
import { Watches } from './watches.js';

export const BURST_MS = 15;

export interface GdbListen {
  readonly host: string;
  readonly port: number;
  /** Hold the guest before its first instruction until gdb resumes it. */
  readonly wait: boolean;
}

export interface GdbServeOptions {
  /** Where the listening line (and notes about clients) go. */
  readonly log: Output;
  /** nestvm's own Ctrl-C: checked between slices. */
  readonly interrupted: () => boolean;
  readonly sliceInsns?: number;
  /** The live view runs the guest while gdb does not (see the essay). */
  readonly hosted?: boolean;
}

/** Who has the guest, as the live view shows it (GdbServer.hold). */
export interface GdbHold {
  /** gdb holds it (connected, or awaited by --gdb-wait): the view must not run it. */
  readonly held: boolean;
  /** gdb is running it (c or s) right now. */
  readonly running: boolean;
  /** One line: where the stub listens, and what gdb last did. */
  readonly note: string;
  /** The guest's end, once it ended under gdb (or gdb killed it). */
  readonly ended: RunEnd | null;
}

/** A stop reply in words, for the live view's status line. */
export function stopReplyText(reply: string): string {
  const watch = /(r|a)?watch:([0-9a-f]+)/.exec(reply);
  if (watch)
    return `${watch[1] === 'r' ? 'read ' : watch[1] === 'a' ? 'access ' : ''}watchpoint at 0x${watch[2]}`;
  if (reply.includes('swbreak')) return 'breakpoint';
  if (reply.startsWith('T02')) return 'interrupted (Ctrl-C)';
  if (reply.startsWith('T0b')) return 'guest fault';
  if (reply.startsWith('T18')) return 'limit reached';
  if (reply.startsWith('W')) return `guest exited (status ${parseInt(reply.slice(1), 16)})`;
  return 'stopped';
}

type Settled = Exclude<Outcome, { kind: 'running' }>;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Client {
  readonly socket: net.Socket;
  readonly decoder: PacketDecoder;
  noAck: boolean;
  lastSent: Buffer | null;
}

export class GdbServer {
  private client: Client | null = null;
  private held: boolean;
  /** gdb waits for a stop reply: what it resumed. */
  private awaiting: Resume | null = null;
  private interruptWanted = false;
  private lastStop = `T05${threadTag(0)}`;
  private final: StopReason | null = null;
  private end: RunEnd | null = null;
  private wake: (() => void) | null = null;
  private closed = false;
  private readonly where: string;
  private readonly watches: Watches;
  private readonly commands: GdbCommands;
  private readonly control: RunControl;

  private constructor(
    private readonly machine: Machine,
    private readonly server: net.Server,
    private readonly opts: GdbServeOptions,
    wait: boolean,
  ) {
    this.held = wait;
    const bound = server.address() as net.AddressInfo;
    this.where = `${bound.address}:${bound.port}`;
    machine.debug.recordTlb(); // `monitor info tlb` lists what the fill hook grants from now on
    this.watches = new Watches(machine, () => this.commands.threads.general);
    this.commands = new GdbCommands(machine, this.watches, () => this.lastStop);
    this.control = new RunControl(machine, this.watches, opts.sliceInsns ?? 20_000);
    server.on('connection', (s) => this.accept(s));
  }

  /** Listen; resolves once the socket is bound (the log line names the address). */
  static async listen(machine: Machine, where: GdbListen, opts: GdbServeOptions): Promise<GdbServer> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new EnvironmentError(`--gdb: cannot listen on ${where.host}:${where.port}: ${e.code ?? e.message}`),
        ),
      );
      server.listen(where.port, where.host, () => resolve());
    });
    const bound = server.address() as net.AddressInfo;
    opts.log.write(
      `nestvm: gdb stub listening on ${where.host}:${bound.port}` +
        `${where.wait ? ', guest held before its first instruction' : ''} (gdb: target remote :${bound.port})\n`,
    );
    return new GdbServer(machine, server, opts, where.wait);
  }

  /** Serve until the run ends, or (hosted) until shutdown(); closes the listener. */
  async serve(): Promise<RunEnd> {
    try {
      for (;;) {
        if (this.closed) return this.end ?? this.final ?? this.interrupted('the stub was shut down');
        if (this.end !== null && this.opts.hosted !== true) return this.end;
        if (this.opts.interrupted()) return this.interrupted('interrupted (Ctrl-C)');
        if (this.running()) {
          this.burst();
          await turn();
        } else await this.idle();
      }
    } finally {
      this.shutdown();
    }
  }

  /** Drop the gdb, remove its traps and close the listener, now (idempotent; serve() then returns). */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.client?.socket.destroy();
    this.client = null;
    this.machine.debug.breakpoints.clear();
    this.watches.clear();
    this.server.close();
    this.poke();
  }

  /** Who has the guest now (for the live view). */
  hold(): GdbHold {
    const who = this.client === null ? `gdb stub on ${this.where}` : `gdb (${this.where})`;
    const ended = this.end ?? this.final;
    let note: string;
    if (this.awaiting !== null) note = `${who} runs the guest (${this.awaiting.step ? 'step' : 'continue'})`;
    else if (this.client !== null) note = `${who} has it: ${stopReplyText(this.lastStop)}`;
    else if (this.held) note = `${who}: guest held for gdb (--gdb-wait)`;
    else note = `${who}: no gdb connected`;
    return { held: this.held || this.client !== null, running: this.awaiting !== null, note, ended };
  }

  /**
   * The live view's own slice, while gdb does not hold the guest: the guest's end once it ended
   * (ever after), else null (nothing run when gdb holds it).
   */
  hostSlice(insns: number): StopReason | null {
    if (this.final !== null) return this.final;
    if (this.held || this.client !== null || this.awaiting !== null) return null;
    const r = this.machine.debugSlice(insns);
    if (r === null || isPause(r)) return null; // no gdb, so no trap of its can be in place
    this.final = r;
    return r;
  }

  private running(): boolean {
    if (this.awaiting !== null) return true;
    return this.opts.hosted !== true && !this.held && this.final === null;
  }

  /* Wait for a packet, a connection or a close (or a moment, to see nestvm's own Ctrl-C). */
  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), 100);
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      this.wake = done;
    });
  }

  private poke(): void {
    this.wake?.();
  }

  /* Slices for up to BURST_MS: gdb's c/s, or the guest running freely. */
  private burst(): void {
    const t0 = performance.now();
    do {
      if (this.awaiting === null) {
        const r = this.machine.debugSlice();
        if (r !== null && !('kind' in r)) this.onFinalWithoutGdb(r);
        continue;
      }
      if (this.interruptWanted) return this.tell(`T02${threadTag(this.machine.cpus.current.id)}`);
      const o = this.control.slice(this.awaiting);
      if (o.kind !== 'running') return this.settle(o);
    } while (this.running() && performance.now() - t0 < BURST_MS);
  }

  private onFinalWithoutGdb(stop: StopReason): void {
    this.final = stop;
    if (this.client === null) this.end = stop;
    else this.held = true; // a gdb is connected but did not ask to run: it hears of it on its next c/s
  }

  private settle(o: Settled): void {
    if (o.kind === 'ended') this.final = o.stop;
    this.tell(o.reply);
    if (o.kind === 'ended' && o.last) {
      this.end = o.stop;
      this.client?.socket.end();
    }
  }

  /* Tell gdb of a stop: the guest is held from here on. */
  private tell(reply: string): void {
    this.awaiting = null;
    this.interruptWanted = false;
    this.held = true;
    this.lastStop = reply.startsWith('W') ? this.lastStop : reply;
    const cpu = stopThread(reply);
    if (cpu !== null) this.commands.threads.stoppedAt(cpu); // gdb's current thread now
    this.send(reply);
  }

  /* ---- the connection ---- */

  private accept(socket: net.Socket): void {
    if (this.client !== null || this.closed) {
      this.opts.log.write('nestvm: a second gdb tried to connect; refused (one at a time)\n');
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const client: Client = { socket, decoder: new PacketDecoder(), noAck: false, lastSent: null };
    this.client = client;
    this.held = true; // the guest stops for the new gdb, as QEMU's does
    if (this.opts.hosted === true) this.opts.log.write(`nestvm: gdb connected on ${this.where}\n`);
    socket.on('data', (chunk: Buffer) => {
      for (const f of client.decoder.feed(chunk)) this.onFrame(client, f);
      this.poke();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.gone(client));
  }

  /* A gdb left (D, k, or the socket closed): traps removed; the guest runs on unless it ended. */
  private gone(client: Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.awaiting = null;
    this.machine.debug.breakpoints.clear();
    this.watches.clear();
    this.held = false;
    if (this.final !== null && this.end === null) this.end = this.final;
    if (this.opts.hosted === true) this.opts.log.write('nestvm: gdb went away: traps removed\n');
    this.poke();
  }

  private onFrame(client: Client, f: Frame): void {
    switch (f.kind) {
      case 'ack':
        return;
      case 'nack':
        if (client.lastSent !== null) client.socket.write(client.lastSent);
        return;
      case 'interrupt':
        if (this.awaiting !== null) this.interruptWanted = true;
        return;
      case 'bad':
        if (!client.noAck) client.socket.write('-');
        return;
      case 'packet':
        if (!client.noAck) client.socket.write('+');
        if (this.awaiting !== null) return; // all-stop: gdb waits for the stop reply first
        return this.act(client, this.dispatch(f.payload));
    }
  }

  private dispatch(payload: string): Action {
    try {
      return this.commands.dispatch(payload);
    } catch (e) {
      this.opts.log.write(`nestvm: gdb packet '${payload.slice(0, 40)}' failed: ${(e as Error).message}\n`);
      return { kind: 'reply', text: 'E01' };
    }
  }

  private act(client: Client, a: Action): void {
    switch (a.kind) {
      case 'reply':
        this.send(a.text);
        if (a.noAck) client.noAck = true;
        return;
      case 'resume':
        if (this.final !== null)
          return this.settle(this.control.slice({ step: true, thread: null }) as Settled);
        this.awaiting = { step: a.step, thread: a.thread };
        this.held = false;
        this.control.resume();
        return;
      case 'detach':
        this.send('OK');
        client.socket.end();
        return this.gone(client);
      case 'kill':
        this.end = this.interrupted('killed by gdb (k)');
        client.socket.end();
        return this.gone(client);
    }
  }

  private send(payload: string): void {
    const c = this.client;
    if (c === null || c.socket.destroyed) return;
    c.lastSent = toBytes(encodePacket(payload));
    c.socket.write(c.lastSent);
  }

  private interrupted(message: string): RunEnd {
    const pc64 = this.machine.debug.reg(this.machine.arch === 'x86_64' ? 'rip' : 'pc');
    return {
      reason: 'interrupted',
      code: EXIT_INTERRUPTED,
      message: `${message} at pc 0x${pc64.toString(16)}`,
      pc: Number(pc64),
      pc64,
    };
  }
}
