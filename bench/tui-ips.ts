/*
 * What the live view costs the guest: guest instructions per second with the TUI's run loop active
 * and the App drawing to a fake 120x40 terminal at its real refresh rate (a snapshot every 100 ms,
 * Ink at up to 20 frames a second), against Machine.run() on the same guest, per architecture.
 *
 * The screen is drawn with colours on (256 colours, as under tmux), since colour codes are much of
 * what Ink has to take apart and put back together each frame.
 *
 * The guest (assembled here) computes in a tight loop and, every 4096 iterations, writes one byte
 * to the next page of a 4 MiB buffer, so the first pass is a stream of nested faults (the fault log,
 * the dirty grid and the stamp keep moving: every snapshot is rebuilt and every frame redrawn) and
 * later passes run on warm tables. Both runs stop at the same instruction limit.
 *
 *   machine   new Machine(image).run(): slices of 2,000,000 instructions, nothing between them
 *   tui       openTuiSession + the App rendered with Ink; session.resume(), as the space key does:
 *             slices of 20,000 instructions and more while they are quick (run-loop.ts adaptSlice),
 *             the run loop yields to the event loop every 16 ms
 *
 * Figures: MIPS of each, and tui/machine (1.000 = free; the target is >= 0.90), on both CPU time
 * (what the process spent, drawing included) and wall-clock time (what the user waits, yields
 * included). Each is the best of ROUNDS runs, taken in turn (the host may be shared).
 *
 * How the screen is drawn is chosen with --ink (default: patched, what `nestvm tui` does):
 *   patched       the live view's fast paths installed (cli/tui/ink-patches.ts), Ink's standard
 *                 log-update
 *   incremental   no fast paths; Ink's own incrementalRendering option (only changed lines written)
 *   plain         no fast paths, Ink's defaults
 * --rounds N and --arch x86_64|arm64 shorten a run, to take the configurations in turn.
 *
 * Run: node --import tsx bench/tui-ips.ts [--ink patched|incremental|plain] [--rounds N] [--arch A]
 *      (or through bench/run.ts)
 */
import { EventEmitter } from 'node:events';
import type { Arch } from '../emulator/arch.js';
import type { GuestImage } from '../emulator/image.js';
import { loadGuestBytes } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';

// As `nestvm tui` does: Ink decides once, when it loads, whether it runs "in CI" (then it draws
// nothing until exit), and React picks its production build unless NODE_ENV says otherwise.
// Colours as in a real terminal (tmux says 256 colours): chalk reads this when it loads, and with
// the bench's stdout a pipe it would otherwise draw the whole screen without a single SGR code.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
process.env.NODE_ENV ??= 'production';
process.env.FORCE_COLOR ??= '2';
const { createElement } = await import('react');
const { render } = await import('ink');
const { App } = await import('../cli/tui/app.js');
const { openTuiSession } = await import('../cli/tui/machine-port.js');
const { installInkPatches } = await import('../cli/tui/ink-patches.js');

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
};
const INK_MODE = arg('ink') ?? 'patched';
if (!['patched', 'incremental', 'plain'].includes(INK_MODE)) throw new Error(`--ink ${INK_MODE}?`);
if (INK_MODE === 'patched') {
  const patches = await installInkPatches();
  if (!patches.installed) throw new Error(patches.note);
}

const MEM = 16 * 1024 * 1024;
const ROUNDS = Number(arg('rounds') ?? 5);
const ARCHES: Arch[] = arg('arch') ? [arg('arch') as Arch] : ['x86_64', 'arm64'];
/* Instruction limits giving a couple of seconds per run on the development machine. */
const LIMIT: Record<Arch, number> = { x86_64: 300_000_000, arm64: 1_000_000_000 };

const GUEST: Record<Arch, string> = {
  x86_64: `; arch: x86_64
start:
        mov     rdi, 0x200000
        mov     rax, 1
        mov     rbx, 3
        xor     ecx, ecx
spin:
        add     rax, rbx
        xor     rbx, rax
        inc     ecx
        test    ecx, 0xfff
        jnz     spin
        mov     byte ptr [rdi], al
        add     rdi, 4096
        cmp     rdi, 0x600000
        jb      spin
        mov     rdi, 0x200000
        jmp     spin
`,
  arm64: `// arch: arm64
start:
        ldr     x9, =0x40200000
        ldr     x10, =0x40600000
        mov     x0, #1
        mov     x1, #3
        mov     x2, #0
spin:
        add     x0, x0, x1
        eor     x1, x1, x0
        add     x2, x2, #1
        tst     x2, #0xfff
        b.ne    spin
        strb    w0, [x9]
        add     x9, x9, #4096
        cmp     x9, x10
        b.lo    spin
        ldr     x9, =0x40200000
        b       spin
`,
};

interface Figure {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly insns: number;
  readonly frames?: number;
  /* TUI runs: time inside snapshot() (and how many calls), and in Ink's output phase. */
  readonly snapMs?: number;
  readonly snaps?: number;
  readonly inkMs?: number;
  /* TUI runs: frames Ink drew (the screen must change at least ten times a second). */
  readonly draws?: number;
  /* ...and how many a second, from the first frame to the last (not diluted by the run's edges). */
  readonly drawRate?: number;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/* A terminal that swallows what Ink draws (and counts the writes). */
class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  readonly columns = 120;
  readonly rows = 40;
  writes = 0;
  write = (): boolean => {
    this.writes++;
    return true;
  };
}

class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  read = (): null => null;
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

function machineRun(img: GuestImage, limit: number): Figure {
  const m = new Machine(img, { memBytes: MEM, maxInsns: limit });
  const c0 = cpuMs();
  const w0 = performance.now();
  const stop = m.run();
  const figure = { cpuMs: cpuMs() - c0, wallMs: performance.now() - w0, insns: m.instructions };
  m.close();
  if (stop.reason !== 'limit') throw new Error(`bench guest stopped early: ${stop.message}`);
  return figure;
}

async function tuiRun(img: GuestImage, limit: number): Promise<Figure> {
  const { session, machine } = await openTuiSession(img, {
    guest: 'bench.s',
    machine: { memBytes: MEM, maxInsns: limit },
  });
  // where the time goes: snapshots (the adapter's readers) and Ink's output phase per frame
  let snapMs = 0;
  let snaps = 0;
  let inkMs = 0;
  let draws = 0;
  let firstDraw = 0;
  let lastDraw = 0;
  const snapshot = session.snapshot.bind(session);
  session.snapshot = () => {
    const t = performance.now();
    const s = snapshot();
    snapMs += performance.now() - t;
    snaps++;
    return s;
  };
  const stdout = new FakeStdout();
  const ink = render(createElement(App, { session, columns: 120, rows: 40, refreshMs: 100 }), {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 20,
    incrementalRendering: INK_MODE === 'incremental',
    onRender: ({ renderTime }) => {
      inkMs += renderTime;
      lastDraw = performance.now();
      if (draws++ === 0) firstDraw = lastDraw;
    },
  });
  await new Promise((r) => setTimeout(r, 200)); // first frames drawn, as before the user presses space
  const framesBefore = stdout.writes;
  [snapMs, snaps, inkMs, draws] = [0, 0, 0, 0];
  const c0 = cpuMs();
  const w0 = performance.now();
  session.resume();
  await new Promise<void>((done) => {
    // watch the instruction count, not snapshot(): an extra snapshot would be charged to the TUI
    const poll = setInterval(() => {
      if (machine.instructions >= limit) {
        clearInterval(poll);
        done();
      }
    }, 20);
  });
  const figure = {
    cpuMs: cpuMs() - c0,
    wallMs: performance.now() - w0,
    insns: machine.instructions,
    frames: stdout.writes - framesBefore,
    snapMs,
    snaps,
    inkMs,
    draws,
    drawRate: draws > 1 ? ((draws - 1) * 1000) / (lastDraw - firstDraw) : 0,
  };
  const reason = session.snapshot().run.reason ?? '';
  ink.unmount();
  session.close();
  if (!/instruction limit/.test(reason)) throw new Error(`bench guest stopped early: ${reason}`);
  return figure;
}

const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;

const best = (a: Figure | null, b: Figure, key: 'cpuMs' | 'wallMs'): Figure =>
  a === null || b[key] < a[key] ? b : a;
const mips = (f: Figure, key: 'cpuMs' | 'wallMs') => (f.insns / f[key] / 1000).toFixed(1).padStart(7);

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const arch of ARCHES) {
    const img = await loadGuestBytes(new TextEncoder().encode(GUEST[arch]), 'bench.s', { memBytes: MEM });
    const limit = LIMIT[arch];
    let m: { cpu: Figure | null; wall: Figure | null } = { cpu: null, wall: null };
    let t: { cpu: Figure | null; wall: Figure | null } = { cpu: null, wall: null };
    for (let round = 0; round < ROUNDS; round++) {
      const a = machineRun(img, limit);
      const b = await tuiRun(img, limit);
      if (a.insns !== b.insns) throw new Error(`${arch}: machine ran ${a.insns}, tui ${b.insns}`);
      m = { cpu: best(m.cpu, a, 'cpuMs'), wall: best(m.wall, a, 'wallMs') };
      t = { cpu: best(t.cpu, b, 'cpuMs'), wall: best(t.wall, b, 'wallMs') };
    }
    const [mc, mw, tc, tw] = [m.cpu!, m.wall!, t.cpu!, t.wall!];
    rows.push(
      `${arch.padEnd(7)} ${limit.toLocaleString('en-US').padStart(13)} insns | MIPS cpu: machine ${mips(mc, 'cpuMs')}` +
        `  tui ${mips(tc, 'cpuMs')}  tui/machine ${(mc.cpuMs / tc.cpuMs).toFixed(3)}` +
        ` | MIPS wall: machine ${mips(mw, 'wallMs')}  tui ${mips(tw, 'wallMs')}  tui/machine ${(mw.wallMs / tw.wallMs).toFixed(3)}` +
        `\n        tui run: ${(tw.wallMs / 1000).toFixed(2)} s, ${tw.draws} frames (${tw.drawRate!.toFixed(1)}/s), ${tw.frames} terminal writes;` +
        ` ${tw.snaps} snapshot() calls ${tw.snapMs!.toFixed(0)} ms (${pct(tw.snapMs!, tw.wallMs)}),` +
        ` Ink output ${tw.inkMs!.toFixed(0)} ms (${pct(tw.inkMs!, tw.wallMs)}); React's own work is the rest of the gap`,
    );
  }
  process.stdout.write(
    `tui-ips, ink ${INK_MODE} (best of ${ROUNDS}; target tui/machine >= 0.90)\n${rows.join('\n')}\n`,
  );
}

await main();
