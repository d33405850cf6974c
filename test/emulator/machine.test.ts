import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Machine, type MachineOptions } from '../../emulator/machine.js';
import { FixedOffsetTranslator } from '../../emulator/translator.js';
import { hpa } from '../../mmu/addr.js';
import type { Arch } from '../../emulator/arch.js';
import { BadGuestError, type GuestImage } from '../../emulator/image.js';
import { MiB, image } from './unicorn/guest.js';

const machines: Machine[] = [];
afterEach(() => {
  for (const m of machines.splice(0)) m.close();
});
async function machine(arch: Arch, src: string, opts: Partial<MachineOptions> = {}): Promise<Machine> {
  const m = new Machine(await image(arch, src), { memBytes: 16 * MiB, ...opts });
  machines.push(m);
  return m;
}

/* Print "hi" and stop normally, per architecture. */
const HELLO: Record<Arch, string> = {
  x86_64: 'mov al, 0x68\n out 0xe9, al\n mov al, 0x69\n out 0xe9, al\n hlt',
  arm64:
    'movz x1, #0x0900, lsl #16\n movz w2, #0x68\n str w2, [x1]\n movz w2, #0x69\n str w2, [x1]\n' +
    'movz w0, #0x8\n movk w0, #0x8400, lsl #16\n hvc #0',
};
/* An endless loop. */
const SPIN: Record<Arch, string> = { x86_64: 'l: jmp l', arm64: 'l: b l' };
/* Touch guest-physical 0x7000_0000_00 (nothing there). */
const WILD: Record<Arch, string> = {
  x86_64: 'nop\n mov rax, 0x7000000000\n mov [rax], rbx\n hlt',
  arm64: 'nop\n movz x1, #0x70, lsl #32\n str x2, [x1]\n wfi',
};

describe('Machine: both architectures', () => {
  for (const arch of ['x86_64', 'arm64'] as const) {
    it(`${arch}: prints and stops with status 0, counting every instruction`, async () => {
      const seen: string[] = [];
      const m = await machine(arch, HELLO[arch], { onConsole: (t) => seen.push(t) });
      const stop = m.run();
      expect(stop.code).toBe(0);
      expect(stop.reason).toBe(arch === 'x86_64' ? 'halt' : 'exit');
      expect(m.console).toBe('hi');
      expect(seen.join('')).toBe('hi');
      expect(m.instructions).toBe(arch === 'x86_64' ? 5 : 8);
    });

    it(`${arch}: a touch of unmapped guest-physical memory is a fault with a clear message`, async () => {
      const m = await machine(arch, WILD[arch]);
      const stop = m.run();
      expect(stop.reason).toBe('fault');
      expect(stop.code).toBe(4);
      const at = arch === 'x86_64' ? 0x10_000b : 0x4008_0008;
      expect(stop.pc).toBe(at);
      expect(stop.message).toBe(
        `nested page fault: guest touched unmapped guest-physical 0x7000000000 (write) at pc 0x${at.toString(16)}`,
      );
      expect(m.instructions).toBe(3);
    });

    it(`${arch}: the instruction limit stops after exactly maxInsns, whatever the slice size`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 5000 }),
          fc.integer({ min: 1, max: 3000 }),
          async (max, slice) => {
            const m = await machine(arch, SPIN[arch], { maxInsns: max, sliceInsns: slice });
            const stop = m.run();
            expect(stop).toMatchObject({ reason: 'limit', code: 6 });
            expect(m.instructions).toBe(max);
            m.close();
            machines.pop();
          },
        ),
        { numRuns: 15 },
      );
    });

    it(`${arch}: a timeout stops a guest that never ends`, async () => {
      const m = await machine(arch, SPIN[arch], { timeoutMs: 30, sliceInsns: 10_000 });
      const stop = m.run();
      expect(stop).toMatchObject({ reason: 'timeout', code: 6 });
      expect(stop.message).toMatch(/time limit of 30 ms/);
      expect(m.instructions % 10_000).toBe(0); // stopped between slices
      expect(m.instructions).toBeGreaterThan(0);
    });

    it(`${arch}: the timeout counts time spent running, not time between slices`, async () => {
      const m = await machine(arch, SPIN[arch], { timeoutMs: 40, sliceInsns: 10_000 });
      expect(m.runSlice()).toBeNull();
      await new Promise((r) => setTimeout(r, 80)); // paused, as in the live view: twice the limit
      expect(m.runSlice()).toBeNull();
      const before = m.instructions;
      const stop = m.run();
      expect(stop).toMatchObject({ reason: 'timeout', code: 6 });
      expect(stop.message).toMatch(/time limit of 40 ms/);
      expect(m.instructions).toBeGreaterThan(before);
    });

    it(`${arch}: starts with pc at the entry and sp at the top of guest RAM`, async () => {
      const m = await machine(arch, HELLO[arch], { memBytes: 4 * MiB });
      const r = m.regs();
      if (arch === 'x86_64') {
        expect(r.rip).toBe(0x10_0000n);
        expect(r.rsp).toBe(0x40_0000n);
        expect(r.cr0 & 0x8000_0000n).toBe(0n); // guest paging off
        expect(r.efer & 0x500n).toBe(0x500n); // long mode active
      } else {
        expect(r.pc).toBe(0x4008_0000n);
        expect(r.sp).toBe(0x4040_0000n);
        expect(r.currentel).toBe(4n); // EL1
        expect(r.sctlr_el1 & 1n).toBe(0n); // MMU off
      }
    });
  }
});

describe('Machine: x86-64 specifics', () => {
  it('isa-debug-exit gives (v << 1) | 1 and counts the out instruction once', async () => {
    const m = await machine('x86_64', 'mov al, 0x10\n out 0xf4, al\n hlt');
    const stop = m.run();
    expect(stop).toMatchObject({ reason: 'exit', code: 0x21, pc: 0x10_0004 });
    expect(m.instructions).toBe(2);
  });

  it('the 16550 at 0x3F8 prints after LSR says the transmitter is empty', async () => {
    const src =
      'mov dx, 0x3fd\n w: in al, dx\n test al, 0x20\n jz w\n mov dx, 0x3f8\n mov al, 0x4f\n out dx, al\n hlt';
    const m = await machine('x86_64', src);
    expect(m.run().reason).toBe('halt');
    expect(m.console).toBe('O');
  });

  it('an undecoded port reads all ones and ignores writes', async () => {
    const m = await machine('x86_64', 'mov dx, 0x1234\n in eax, dx\n out dx, eax\n hlt');
    m.run();
    expect(m.regs().rax).toBe(0xffff_ffffn);
  });

  it('guest exceptions and invalid opcodes are faults', async () => {
    const div = await machine('x86_64', 'xor ecx, ecx\n div ecx\n hlt');
    expect(div.run()).toMatchObject({ reason: 'fault', code: 4, pc: 0x10_0002 });
    expect(div.run().message).toMatch(/#DE divide error/);
    const ud = await machine('x86_64', 'nop\n ud2');
    expect(ud.run()).toMatchObject({
      reason: 'fault',
      code: 4,
      message: 'guest executed an invalid instruction at pc 0x100001',
    });
  });
});

describe('Machine: arm64 specifics', () => {
  it('PSCI calls that return step over the hvc with the result in x0', async () => {
    const src =
      'movz w0, #0\n movk w0, #0x8400, lsl #16\n hvc #0\n mov x5, x0\n' + // PSCI_VERSION
      'movz w0, #0x8\n movk w0, #0x8400, lsl #16\n hvc #0';
    const m = await machine('arm64', src);
    expect(m.run()).toMatchObject({ reason: 'exit', code: 0 });
    expect(m.regs().x5).toBe(0x1_0000n);
    expect(m.instructions).toBe(7);
  });

  it('PSCI SYSTEM_RESET stops with status 0', async () => {
    const m = await machine('arm64', 'movz w0, #0x9\n movk w0, #0x8400, lsl #16\n hvc #0');
    expect(m.run()).toMatchObject({ reason: 'exit', code: 0 });
  });

  it('semihosting: SYS_WRITE0, SYS_WRITEC, SYS_WRITE and SYS_EXIT with a status', async () => {
    const src = [
      'adr x1, msg',
      'mov w0, #4',
      'hlt #0xf000', // SYS_WRITE0
      'adr x1, bang',
      'mov w0, #3',
      'hlt #0xf000', // SYS_WRITEC
      'adr x1, wblock',
      'mov w0, #5',
      'hlt #0xf000',
      'mov x6, x0', // SYS_WRITE -> 0 not written
      'adr x1, eblock',
      'mov w0, #0x18',
      'hlt #0xf000', // SYS_EXIT(ApplicationExit, 9)
      'msg: .asciz "semi "',
      'bang: .ascii "!"',
      '.balign 8',
      'wblock: .quad 1, text, 3',
      'text: .ascii "xyz"',
      '.balign 8',
      'eblock: .quad 0x20026, 9',
    ].join('\n');
    const m = await machine('arm64', src);
    expect(m.run()).toMatchObject({ reason: 'exit', code: 9 });
    expect(m.console).toBe('semi !xyz');
    expect(m.regs().x6).toBe(0n);
  });

  it('undefined instructions and svc are faults naming what happened', async () => {
    const hvc1 = await machine('arm64', 'hvc #1');
    expect(hvc1.run()).toMatchObject({ reason: 'fault', code: 4 });
    const svc = await machine('arm64', 'nop\n svc #0');
    expect(svc.run().message).toMatch(/svc/);
    const udf = await machine('arm64', '.inst 0x00000000');
    expect(udf.run().message).toMatch(/undefined instruction 0x00000000/);
  });

  it('every quarter of a 4 KiB page lands on its own quarter of the host frame (1 KiB engine pages)', async () => {
    const host = new ArrayBuffer(16 * MiB);
    const src = [0x000, 0x400, 0x808, 0xc10]
      .map((off, i) => `movz x2, #${i + 1}\n str x2, [x1, #${off}]`)
      .join('\n');
    const img = await image('arm64', `movz x1, #0x4010, lsl #16\n ${src}\n ldr x3, [x1, #0xc10]\n wfi`);
    const m = new Machine(img, { memBytes: 16 * MiB, hostMemory: host });
    machines.push(m);
    expect(m.run().reason).toBe('halt');
    const v = new DataView(host);
    expect([0x000, 0x400, 0x808, 0xc10].map((off) => Number(v.getBigUint64(0x10_0000 + off, true)))).toEqual([
      1, 2, 3, 4,
    ]);
    expect(m.regs().x3).toBe(4n);
  });

  it('wfi ends the run as a halt with status 0', async () => {
    const m = await machine('arm64', 'nop\n wfi\n nop');
    expect(m.run()).toEqual({
      reason: 'halt',
      code: 0,
      message: 'guest executed wfi at pc 0x40080008',
      pc: 0x4008_0008,
    });
    expect(m.instructions).toBe(2);
  });

  it('the PL011 page is not executable', async () => {
    const m = await machine('arm64', 'movz x1, #0x0900, lsl #16\n br x1');
    expect(m.run()).toMatchObject({
      reason: 'fault',
      code: 4,
      message: 'nested page fault: guest-physical 0x9000000 does not allow exec (mapped rw-) at pc 0x9000000',
    });
  });
});

describe('Machine: slices and lifetime', () => {
  it('counts and output do not depend on the slice size', async () => {
    const src = 'mov ecx, 500\n l: mov al, 0x2e\n out 0xe9, al\n dec ecx\n jnz l\n hlt';
    const results = new Set<string>();
    for (const slice of [1, 7, 64, 1000, 2_000_000]) {
      const m = await machine('x86_64', src, { sliceInsns: slice });
      const stop = m.run();
      results.add(JSON.stringify([stop, m.instructions, m.console.length]));
    }
    expect([...results]).toEqual([
      JSON.stringify([
        { reason: 'halt', code: 0, message: 'guest executed hlt at pc 0x10000e', pc: 0x10_000e },
        1 + 4 * 500 + 1,
        500,
      ]),
    ]);
  });

  it('runSlice returns null until the stop, then the same StopReason forever', async () => {
    const m = await machine('x86_64', 'mov ecx, 100\n l: dec ecx\n jnz l\n hlt', { sliceInsns: 50 });
    const seen: (string | null)[] = [];
    for (let i = 0; i < 6; i++) seen.push(m.runSlice()?.reason ?? null);
    expect(seen).toEqual([null, null, null, null, 'halt', 'halt']);
    expect(m.instructions).toBe(202);
  });

  it('uses caller-provided host memory, mapped once, without copying', async () => {
    const host = new ArrayBuffer(8 * MiB);
    const img = await image('x86_64', 'mov qword ptr [0x5000], 0x77\n hlt');
    const m = new Machine(img, { memBytes: 4 * MiB, hostMemory: host });
    machines.push(m);
    m.run();
    expect(new DataView(host).getUint32(0x5000, true)).toBe(0x77);
  });

  it('the guest cannot tell where the translator puts its RAM in host memory', async () => {
    const src = [
      'mov rdi, 0x200000', // fill 64 KiB with a pattern, then sum it back
      'mov ecx, 0x2000',
      'f: mov [rdi + rcx*8 - 8], rcx',
      'dec ecx',
      'jnz f',
      'xor eax, eax',
      'mov ecx, 0x2000',
      's: add rax, [rdi + rcx*8 - 8]',
      'dec ecx',
      'jnz s',
      'mov [0x5000], rax',
      'out 0xe9, al',
      'hlt',
    ].join('\n');
    const img = await image('x86_64', src);
    const plain = new Machine(img, { memBytes: 4 * MiB });
    machines.push(plain);
    const host = new ArrayBuffer(16 * MiB);
    const SHIFT = 8 * MiB;
    const shifted = new Machine(img, {
      memBytes: 4 * MiB,
      hostMemory: host,
      translator: (ctx) => new FixedOffsetTranslator(ctx.ramBase, ctx.memBytes, hpa(SHIFT), ctx.windows),
    });
    machines.push(shifted);
    const a = plain.run();
    const b = shifted.run();
    expect(b).toEqual(a);
    expect(shifted.instructions).toBe(plain.instructions);
    expect(shifted.console).toBe(plain.console);
    expect(shifted.regs().rax).toBe(plain.regs().rax);
    expect(new DataView(host).getBigUint64(SHIFT + 0x5000, true)).toBe((0x2000n * 0x2001n) / 2n);
    expect(new DataView(host).getBigUint64(0x5000, true)).toBe(0n);
    expect(shifted.fills).toBeGreaterThan(0);
  });

  it('refuses images that do not fit in guest RAM', async () => {
    const img: GuestImage = { ...(await image('x86_64', 'hlt')), entry: 0x10_0000 };
    const far: GuestImage = {
      ...img,
      segments: [{ gpa: 0x80_0000, data: new Uint8Array(16), memSize: 16, flags: 'rwx' }],
    };
    expect(() => new Machine(far, { memBytes: 4 * MiB })).toThrow(BadGuestError);
    expect(() => new Machine({ ...img, entry: 0x90_0000 }, { memBytes: 4 * MiB })).toThrow(/entry point/);
    expect(() => new Machine(img, { memBytes: 1000 })).toThrow(RangeError);
  });

  it('an exception in a console callback surfaces from run() as a HookError', async () => {
    const m = await machine('x86_64', HELLO.x86_64, {
      onConsole: () => {
        throw new Error('terminal gone');
      },
    });
    expect(() => m.run()).toThrow(/port out hook threw: terminal gone/);
  });

  it('close is idempotent and later runs are refused', async () => {
    const m = await machine('arm64', SPIN.arm64, { maxInsns: 10 });
    m.close();
    m.close();
    expect(() => m.runSlice()).toThrow(/after close/);
  });
});
