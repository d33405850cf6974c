import { afterEach, describe, expect, it } from 'vitest';
import {
  UC_ERR_EXCEPTION,
  UC_ERR_INSN_INVALID,
  UC_MEM_FETCH,
  UC_MEM_READ,
  UC_MEM_READ_UNMAPPED,
  UC_MEM_WRITE,
  UC_PROT_ALL,
  UC_PROT_EXEC,
  UC_PROT_READ,
  UC_PROT_WRITE,
} from '../../../emulator/unicorn/constants.js';
import { HookError, UnicornClosedError, UnicornError } from '../../../emulator/unicorn/errors.js';
import { Unicorn, u64 } from '../../../emulator/unicorn/unicorn.js';
import { engine, type TestEngine } from './engine.js';

const open: TestEngine[] = [];
async function eng(...args: Parameters<typeof engine>): Promise<TestEngine> {
  const e = await engine(...args);
  open.push(e);
  return e;
}
afterEach(() => {
  for (const e of open.splice(0)) e.uc.close();
});

const fillsOf = (e: TestEngine, va: number): number => e.fills.filter((f) => f.va === va).length;

describe('TLB fill hook (virtual-TLB mode)', () => {
  it('is asked for every page, with the access kind', async () => {
    const e = await eng('x86_64', 'mov rax, [0x2000]\n mov [0x3000], rax\n hlt');
    new DataView(e.ram).setBigUint64(0x2000, 0x1122334455667788n, true);
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).toBe(0);
    expect(e.fills).toContainEqual({ va: 0x10_0000, memType: UC_MEM_FETCH });
    expect(e.fills).toContainEqual({ va: 0x2000, memType: UC_MEM_READ });
    expect(e.fills).toContainEqual({ va: 0x3000, memType: UC_MEM_WRITE });
    // The guest wrote through the fill's host-physical page into our ArrayBuffer.
    expect(new DataView(e.ram).getBigUint64(0x3000, true)).toBe(0x1122334455667788n);
  });

  it('translates arm64 guest addresses through the hook too', async () => {
    const e = await eng('arm64', 'movz x1, #0x4000, lsl #16\n add x1, x1, #0x2000\n ldr x0, [x1]\n wfi');
    new DataView(e.ram).setBigUint64(0x2000, 0xabcdefn, true);
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).toBe(0);
    expect(e.fills).toContainEqual({ va: 0x4000_2000, memType: UC_MEM_READ });
    expect(e.uc.regRead('x0')).toBe(0xabcdef);
  });

  it('fills 4 KiB pages on x86-64 but 1 KiB pages on arm64 (Unicorn 2.1.1 target pages)', async () => {
    const x = await eng('x86_64', 'mov rax, [0x2000]\n mov rax, [0x2400]\n mov rax, [0x2c00]\n hlt');
    x.uc.emuStart(x.entry, 0, 0, 100);
    expect(x.fills.filter((f) => f.memType === UC_MEM_READ).map((f) => f.va)).toEqual([0x2000]);
    const a = await eng(
      'arm64',
      'movz x1, #0x4000, lsl #16\n add x1, x1, #0x2000\n ldr x0, [x1]\n ldr x0, [x1, #0x400]\n ldr x0, [x1, #0xc00]\n wfi',
    );
    a.uc.emuStart(a.entry, 0, 0, 100);
    expect(a.fills.filter((f) => f.memType === UC_MEM_READ).map((f) => f.va)).toEqual([
      0x4000_2000, 0x4000_2400, 0x4000_2c00,
    ]);
  });

  it('keeps translations across runs until the TLB is flushed', async () => {
    const e = await eng('x86_64', 'mov rax, [0x2000]\n hlt');
    e.uc.emuStart(e.entry, 0, 0, 100);
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(fillsOf(e, 0x2000)).toBe(1);
    e.uc.flushTlb();
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(fillsOf(e, 0x2000)).toBe(2);
  });

  it('a fill that withholds write makes the next write fill again', async () => {
    // Read fills get R only; only a write fill is granted W (dirty tracking's trick).
    const e = await eng('x86_64', 'mov rax, [0x3000]\n mov [0x3000], rbx\n mov [0x3000], rcx\n hlt', {
      grant: (va, memType) =>
        va !== 0x3000 ? UC_PROT_ALL : memType === UC_MEM_WRITE ? UC_PROT_READ | UC_PROT_WRITE : UC_PROT_READ,
    });
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).toBe(0);
    const kinds = e.fills.filter((f) => f.va === 0x3000).map((f) => f.memType);
    expect(kinds).toEqual([UC_MEM_READ, UC_MEM_WRITE]); // the second write hits the cached W
  });

  it('a refused fill ends the run with an engine error at the faulting instruction', async () => {
    const e = await eng('x86_64', 'nop\n mov rax, 0x7000000000\n mov rbx, [rax]\n hlt');
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).toBe(UC_ERR_EXCEPTION);
    expect(e.uc.regRead('rip')).toBe(0x10_000b); // nop (1) + movabs (10)
    expect(e.fills).toContainEqual({ va: 0x70_0000_0000, memType: UC_MEM_READ });
  });

  it('refuses execution from a page granted without exec', async () => {
    const e = await eng('x86_64', 'hlt', { grant: (va) => (va === 0x10_0000 ? UC_PROT_READ : UC_PROT_ALL) });
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).not.toBe(0);
    expect(e.uc.instructionsLastRun()).toBe(0);
  });

  it('pins the flush behaviour of guest TLB maintenance (Unicorn 2.1.1, observed)', async () => {
    const pgOn =
      'mov rax, cr4\n or eax, 0x20\n mov cr4, rax\n mov rax, cr0\n or eax, 0x80000000\n mov cr0, rax\n';
    const cases: [string, string, number][] = [
      [
        'paging off, CR3 reload',
        'mov rax, [0x2000]\n mov rbx, cr3\n mov cr3, rbx\n mov rax, [0x2000]\n hlt',
        1,
      ],
      [
        'paging on, CR3 reload',
        pgOn + 'mov rax, [0x2000]\n mov rbx, cr3\n mov cr3, rbx\n mov rax, [0x2000]\n hlt',
        2,
      ],
      [
        'paging on, INVLPG of the page',
        pgOn + 'mov rax, [0x2000]\n invlpg [0x2000]\n mov rax, [0x2000]\n hlt',
        2,
      ],
      [
        'paging on, INVLPG of another page',
        pgOn + 'mov rax, [0x2000]\n invlpg [0x5000]\n mov rax, [0x2000]\n hlt',
        1,
      ],
      [
        'paging on, CR4.PGE toggle',
        pgOn +
          'mov rax, [0x2000]\n mov rbx, cr4\n or rbx, 0x80\n mov cr4, rbx\n and rbx, -0x81\n mov cr4, rbx\n mov rax, [0x2000]\n hlt',
        2,
      ],
    ];
    for (const [what, src, fills] of cases) {
      const e = await eng('x86_64', src);
      expect(e.uc.emuStart(e.entry, 0, 0, 100), what).toBe(0);
      expect(fillsOf(e, 0x2000), what).toBe(fills);
    }
    const arm: [string, string, number][] = [
      ['tlbi vmalle1', 'tlbi vmalle1\n dsb sy\n isb', 2],
      ['TTBR0_EL1 write', 'msr ttbr0_el1, x1\n isb', 1],
    ];
    for (const [what, op, fills] of arm) {
      const e = await eng(
        'arm64',
        `movz x1, #0x4000, lsl #16\n add x1, x1, #0x2000\n ldr x0, [x1]\n ${op}\n ldr x0, [x1]\n wfi`,
      );
      expect(e.uc.emuStart(e.entry, 0, 0, 100), what).toBe(0);
      expect(fillsOf(e, 0x4000_2000), what).toBe(fills);
    }
  });
});

describe('other hooks fire', () => {
  it('interrupt hook: x86 vectors and arm64 exceptions', async () => {
    const x = await eng('x86_64', 'int3\n hlt');
    const seen: number[] = [];
    x.uc.hookIntr((n) => {
      seen.push(n);
      x.uc.emuStop();
    });
    x.uc.emuStart(x.entry, 0, 0, 100);
    expect(seen).toEqual([3]);

    const a = await eng('arm64', 'svc #0\n wfi');
    const armSeen: number[] = [];
    a.uc.hookIntr((n) => {
      armSeen.push(n);
      a.uc.emuStop();
    });
    a.uc.emuStart(a.entry, 0, 0, 100);
    expect(armSeen).toEqual([2]); // EXCP_SWI
  });

  it('arm64 hvc arrives as UNDEFINED (intno 1) with pc on the hvc', async () => {
    const a = await eng('arm64', 'nop\n hvc #0\n wfi');
    let pc = 0;
    a.uc.hookIntr((n) => {
      expect(n).toBe(1);
      pc = a.uc.regRead('pc');
      a.uc.emuStop();
    });
    a.uc.emuStart(a.entry, 0, 0, 100);
    expect(pc).toBe(a.entry + 4);
  });

  it('x86 IN and OUT hooks see port, size and value', async () => {
    const e = await eng('x86_64', 'in al, 0x60\n mov dx, 0x61\n out dx, ax\n in eax, dx\n hlt');
    const outs: [number, number, number][] = [];
    const ins: [number, number][] = [];
    e.uc.hookIn((port, size) => {
      ins.push([port, size]);
      return port === 0x60 ? 0x5a : 0xdeadbeef;
    });
    e.uc.hookOut((port, size, value) => outs.push([port, size, value]));
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).toBe(0);
    expect(ins).toEqual([
      [0x60, 1],
      [0x61, 4],
    ]);
    expect(outs).toEqual([[0x61, 2, 0x5a]]);
    expect(e.uc.regRead('rax')).toBe(0xdeadbeef);
  });

  it('code and block hooks fire within their ranges', async () => {
    const e = await eng('x86_64', 'mov ecx, 3\n l: dec ecx\n jnz l\n hlt');
    const code: number[] = [];
    const blocks: number[] = [];
    e.uc.hookCode((addr) => code.push(addr), e.entry + 5, e.entry + 7); // dec ecx, jnz
    e.uc.hookBlock((addr) => blocks.push(addr));
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(code).toEqual([0x10_0005, 0x10_0007, 0x10_0005, 0x10_0007, 0x10_0005, 0x10_0007]);
    expect(blocks[0]).toBe(e.entry);
    expect(blocks.length).toBeGreaterThan(1);
  });

  it('unmapped-memory hook (engine TLB mode) sees the host-physical address', async () => {
    const e = await eng('x86_64', 'mov rax, [0x5000000]\n hlt', { virtualTlb: false });
    const seen: [number, number][] = [];
    e.uc.hookMemUnmapped((type, addr) => {
      seen.push([type, addr]);
      return false;
    });
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).not.toBe(0);
    expect(seen).toEqual([[UC_MEM_READ_UNMAPPED, 0x500_0000]]);
  });

  it('invalid-instruction hook fires on ud2; the run ends with UC_ERR_INSN_INVALID', async () => {
    const e = await eng('x86_64', 'nop\n ud2\n hlt');
    let fired = 0;
    e.uc.hookInsnInvalid(() => {
      fired++;
      return false;
    });
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).toBe(UC_ERR_INSN_INVALID);
    expect(fired).toBe(1);
    expect(e.uc.regRead('rip')).toBe(e.entry + 1);
  });

  it('MMIO regions call back with offset, size and value', async () => {
    const MMIO_HPA = 0x2000_0000;
    const e = await eng(
      'x86_64',
      'mov rbx, 0x90000000\n mov eax, [rbx + 0x10]\n mov word ptr [rbx + 0x24], 0x77\n hlt',
      {
        grant: (va) => (va === 0x9000_0000 ? UC_PROT_READ | UC_PROT_WRITE : UC_PROT_ALL),
      },
    );
    // Route the guest page 0x9000_0000 to the MMIO aperture (the engine helper only maps RAM).
    const reads: [number, number][] = [];
    const writes: [number, number, number][] = [];
    e.uc.mmioMap(
      MMIO_HPA,
      0x1000,
      (off, size) => {
        reads.push([off, size]);
        return 0x12345678;
      },
      (off, size, v) => writes.push([off, size, v]),
    );
    e.uc.hookTlbFill((va, _t, entry) => {
      if (va !== 0x9000_0000) return false;
      entry.paddr = MMIO_HPA;
      entry.perms = UC_PROT_READ | UC_PROT_WRITE;
      return true;
    });
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).toBe(0);
    expect(reads).toEqual([[0x10, 4]]);
    expect(writes).toEqual([[0x24, 2, 0x77]]);
    expect(e.uc.regRead('rax')).toBe(0x12345678);
  });
});

describe('control and running', () => {
  it('removeCache makes a host-side code patch visible; without it the old translation runs', async () => {
    const e = await eng('x86_64', 'mov eax, 1\n hlt');
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(e.uc.regRead('rax')).toBe(1);
    new Uint8Array(e.ram)[e.entry + 1] = 2; // mov eax, 2 (imm32 low byte)
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(e.uc.regRead('rax')).toBe(1); // stale translated block
    e.uc.removeCache(e.entry, e.entry + 0x1000);
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(e.uc.regRead('rax')).toBe(2);
    new Uint8Array(e.ram)[e.entry + 1] = 3;
    e.uc.flushTb();
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(e.uc.regRead('rax')).toBe(3);
  });

  it('a timeout ends an endless run', async () => {
    const e = await eng('arm64', 'l: b l');
    const t0 = performance.now();
    expect(e.uc.emuStart(e.entry, 0, 20_000, 0)).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    expect(e.uc.regRead('pc')).toBe(e.entry);
  });

  it('a deleted hook is not called again', async () => {
    const e = await eng('x86_64', 'nop\n nop\n hlt');
    let calls = 0;
    const h = e.uc.hookCode(() => calls++);
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(calls).toBe(3);
    e.uc.hookDel(h);
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(calls).toBe(3);
    expect(() => e.uc.hookDel(h)).toThrow(RangeError);
  });
});

describe('exceptions thrown in hooks', () => {
  it('become a HookError from emuStart, and the engine stays usable', async () => {
    const e = await eng('x86_64', 'mov al, 1\n out 0x80, al\n hlt');
    let throwIt = true;
    e.uc.hookOut(() => {
      if (throwIt) throw new TypeError('device bug');
    });
    let caught: unknown;
    try {
      e.uc.emuStart(e.entry, 0, 0, 100);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HookError);
    expect((caught as HookError).message).toContain('device bug');
    expect((caught as HookError).cause).toBeInstanceOf(TypeError);
    throwIt = false;
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).toBe(0);
  });

  it('a throwing fill hook stops the run instead of crashing', async () => {
    const uc = Unicorn.open('x86_64');
    try {
      uc.setTlbMode(1);
      uc.mapPtr(0, new ArrayBuffer(0x10000), UC_PROT_ALL);
      uc.hookTlbFill(() => {
        throw new RangeError('translator bug');
      });
      expect(() => uc.emuStart(0x1000, 0, 0, 10)).toThrow(/tlb fill hook threw: translator bug/);
    } finally {
      uc.close();
    }
  });
});

describe('registers', () => {
  it('x86: API writes are what the guest reads, guest writes are what the API reads', async () => {
    const gprs = [
      'rax',
      'rbx',
      'rcx',
      'rdx',
      'rsi',
      'rdi',
      'rbp',
      'r8',
      'r9',
      'r10',
      'r11',
      'r12',
      'r13',
      'r14',
      'r15',
    ];
    const store = gprs.map((r, i) => `mov [0x${(0x2000 + 8 * i).toString(16)}], ${r}`).join('\n');
    const e = await eng(
      'x86_64',
      `${store}\n mov rax, cr3\n mov [0x2100], rax\n pushfq\n pop rax\n mov [0x2108], rax\n mov ecx, 0xc0000080\n rdmsr\n mov [0x2110], eax\n mov r15, 0x0123456789abcdef\n mov rsp, 0x9000\n hlt`,
    );
    gprs.forEach((r, i) => e.uc.regWrite(r, 0x1_0000_0000 * (i + 1) + 0x1000 + i));
    e.uc.regWrite('cr3', 0x5000);
    e.uc.regWrite('rflags', 0x202 | 0x1); // IF | reserved bit 1 | CF
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).toBe(0);
    const v = new DataView(e.ram);
    gprs.forEach((_r, i) =>
      expect(Number(v.getBigUint64(0x2000 + 8 * i, true))).toBe(0x1_0000_0000 * (i + 1) + 0x1000 + i),
    );
    expect(v.getBigUint64(0x2100, true)).toBe(0x5000n);
    expect(v.getBigUint64(0x2108, true) & 0xfffn).toBe(0x203n);
    expect(v.getUint32(0x2110, true)).toBe(e.uc.regRead('efer'));
    expect(e.uc.regRead('efer') & 0x500).toBe(0x500); // LME | LMA: 64-bit mode
    expect(e.uc.regRead64('r15')).toBe(0x0123456789abcdefn);
    expect(e.uc.regRead('rsp')).toBe(0x9000);
    expect(e.uc.regRead('rip')).toBe(e.uc.regRead('rip')); // readable
    expect(e.uc.regRead('cs')).toBeGreaterThanOrEqual(0);
  });

  it('x86: cr0, cr4 and efer writes reach the CPU', async () => {
    const e = await eng('x86_64', 'mov rax, cr4\n mov rbx, cr0\n hlt');
    e.uc.regWrite('cr4', 0x20);
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).toBe(0);
    expect(e.uc.regRead('rax')).toBe(0x20);
    expect(e.uc.regRead('rbx')).toBe(e.uc.regRead('cr0'));
    e.uc.regWrite('efer', 0xd01); // SCE | LME | LMA | NXE
    expect(e.uc.regRead('efer')).toBe(0xd01);
  });

  it('arm64: x0..x30, sp and system registers match what the guest sees', async () => {
    const stores = Array.from({ length: 31 }, (_, i) => `str x${i}, [sp, #${8 * i}]`).join('\n');
    const sys = [
      'ttbr0_el1',
      'ttbr1_el1',
      'mair_el1',
      'vbar_el1',
      'sctlr_el1',
      'tcr_el1',
      'elr_el1',
      'spsr_el1',
      'far_el1',
      'esr_el1',
    ];
    const sysStores = sys.map((r, i) => `mrs x0, ${r}\n str x0, [sp, #${8 * (32 + i)}]`).join('\n');
    const e = await eng(
      'arm64',
      `${stores}\n ${sysStores}\n mrs x0, CurrentEL\n str x0, [sp, #${8 * 50}]\n movz x7, #0xbeef\n wfi`,
    );
    for (let i = 0; i <= 30; i++) e.uc.regWrite(`x${i}`, 0x100 * i + 7);
    e.uc.regWrite('sp', 0x4000_4000);
    const sysVals = [
      0x4000_1000, 0x4000_3000, 0xff, 0x4000_8000, 0x30d0_0800, 0x19, 0x4000_0040, 0x3c5, 0x1234_5000,
      0x9600_0045,
    ];
    sys.forEach((r, i) => e.uc.regWrite(r, sysVals[i]));
    expect(e.uc.emuStart(e.entry, 0, 0, 200)).toBe(0);
    const v = new DataView(e.ram, 0x4000);
    for (let i = 0; i <= 30; i++) expect(Number(v.getBigUint64(8 * i, true)), `x${i}`).toBe(0x100 * i + 7);
    sys.forEach((r, i) => {
      expect(Number(v.getBigUint64(8 * (32 + i), true)), r).toBe(sysVals[i]);
      expect(e.uc.regRead(r), r).toBe(sysVals[i]);
    });
    expect(Number(v.getBigUint64(8 * 50, true))).toBe(4); // EL1
    expect(e.uc.regRead('currentel')).toBe(4);
    expect(e.uc.regRead('x7')).toBe(0xbeef);
    expect(() => e.uc.regWrite('currentel', 0)).toThrow(/read-only/);
  });

  it('full-width values round-trip through bigint', async () => {
    const e = await eng('x86_64', 'hlt');
    e.uc.regWrite('rbx', 0xffff_8000_0000_1000n);
    expect(e.uc.regRead64('rbx')).toBe(0xffff_8000_0000_1000n);
    const halves = { lo: 0, hi: 0 };
    e.uc.regReadHalves('rbx', halves);
    expect(halves).toEqual({ lo: 0x1000, hi: 0xffff_8000 });
    e.uc.regWrite('rcx', -1);
    expect(e.uc.regRead64('rcx')).toBe(0xffff_ffff_ffff_ffffn);
    expect(() => e.uc.regRead('xmm0')).toThrow(RangeError);
  });
});

describe('memory and lifetime', () => {
  it('pins mapped buffers and refuses partial unmaps', async () => {
    const uc = Unicorn.open('arm64');
    const buf = new ArrayBuffer(0x4000);
    uc.mapPtr(0x10_0000, buf, UC_PROT_ALL);
    expect(() => uc.unmap(0x10_0000, 0x1000)).toThrow(/not a whole mapped region/);
    new Uint8Array(buf)[5] = 0x42;
    expect(uc.memRead(0x10_0000, 8)[5]).toBe(0x42); // the engine sees our buffer, no copy
    uc.memWrite(0x10_0010, Uint8Array.of(9));
    expect(new Uint8Array(buf)[0x10]).toBe(9);
    uc.unmap(0x10_0000, 0x4000);
    expect(() => uc.memRead(0x10_0000, 1)).toThrow(UnicornError);
    uc.map(0x20_0000, 0x1000, UC_PROT_READ | UC_PROT_EXEC);
    expect(uc.memRead(0x20_0000, 4)).toEqual(new Uint8Array(4));
    uc.close();
    uc.close(); // idempotent
    expect(() => uc.regRead('pc')).toThrow(UnicornClosedError);
  });

  it('API failures carry uc_strerror text', () => {
    const uc = Unicorn.open('x86_64');
    try {
      expect(() => uc.map(0x1001, 0x1000, UC_PROT_ALL)).toThrow(/uc_mem_map: .*\(uc_err \d+\)/);
    } finally {
      uc.close();
    }
  });

  it('u64 folds negative and bigint callback arguments', () => {
    expect(u64(-4096)).toBe(2 ** 64 - 4096);
    expect(u64(0xffff_8000_0000_0000n)).toBe(0xffff_8000_0000_0000);
    expect(u64(-(2 ** 63))).toBe(2 ** 63);
    expect(u64(0x1234)).toBe(0x1234);
  });
});
