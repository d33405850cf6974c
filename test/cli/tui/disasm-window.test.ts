// The disassembly window with the real capstone disassembler, on assembled code.
import { describe, expect, it } from 'vitest';
import { loadDisassembler } from '../../../emulator/asm/disassemble.js';
import { disasmWindow, memoDisasmWindow } from '../../../cli/tui/disasm-window.js';

/** Guest memory as one readable range [base, base + bytes.length). */
const memory = (base: number, bytes: number[]) => (addr: number, len: number) => {
  if (addr < base || addr + len > base + bytes.length) {
    // allow reading up to the end of what exists, like a page boundary would
    if (addr < base || addr >= base + bytes.length) return null;
    return Uint8Array.from(bytes.slice(addr - base));
  }
  return Uint8Array.from(bytes.slice(addr - base, addr - base + len));
};

describe('disasmWindow', () => {
  it('x86-64: finds the instruction boundaries before the PC, decoding from a known one', async () => {
    const dis = await loadDisassembler('x86_64');
    // mov rax, 0x1122334455667788 (10) ; inc rbx (3) ; nop (1) ; add rcx, 5 (4) ; hlt (1)
    const code = [
      0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x48, 0xff, 0xc3, 0x90, 0x48, 0x83, 0xc1,
      0x05, 0xf4,
    ];
    const base = 0x10_0000;
    const pc = base + 14; // add rcx, 5
    const w = disasmWindow(dis, 'x86_64', memory(base, code), pc, 3, 1, new Set([base]));
    expect(w.map((l) => l.text)).toEqual([
      'movabs rax, 0x1122334455667788',
      'inc rbx',
      'nop',
      'add rcx, 5',
      'hlt',
    ]);
    expect(w.filter((l) => l.isPc).map((l) => l.addr)).toEqual([pc]);
    expect(w[3].bytes).toBe('48 83 c1 05');
  });

  it('arm64: a fixed window of 4-byte instructions', async () => {
    const dis = await loadDisassembler('arm64');
    const nop = [0x1f, 0x20, 0x03, 0xd5];
    const addX0 = [0x00, 0x04, 0x00, 0x91]; // add x0, x0, #1
    const code = [...nop, ...nop, ...addX0, ...nop, ...nop];
    const base = 0x4008_0000;
    const w = disasmWindow(dis, 'arm64', memory(base, code), base + 8, 2, 2, new Set([base]));
    expect(w.map((l) => l.text)).toEqual(['nop', 'nop', 'add x0, x0, #1', 'nop', 'nop']);
    expect(w[2].isPc).toBe(true);
  });

  it('starts at the PC when nothing before it can be read, and says when the PC cannot be', async () => {
    const dis = await loadDisassembler('x86_64');
    const w = disasmWindow(dis, 'x86_64', memory(0x1000, [0x90, 0x90, 0xf4]), 0x1000, 4, 2);
    expect(w.map((l) => l.text)).toEqual(['nop', 'nop', 'hlt']);
    expect(w[0].isPc).toBe(true);
    const none = disasmWindow(dis, 'arm64', () => null, 0x4000_0000);
    expect(none).toEqual([{ addr: 0x4000_0000, text: '(no memory at the PC)', isPc: true }]);
  });

  it('memoDisasmWindow decodes a PC once while its bytes stay, and again when the code changes', async () => {
    const real = await loadDisassembler('x86_64');
    let decodes = 0;
    const dis: typeof real = (bytes, addr) => {
      decodes++;
      return real(bytes, addr);
    };
    const base = 0x10_0000;
    const code = Array<number>(256).fill(0x90); // nops
    const read = (addr: number, len: number) => memory(base, code)(addr, len);
    const at = memoDisasmWindow(dis, 'x86_64', read, base);
    const pc = base + 100;
    const first = at(pc);
    expect(first).toEqual(disasmWindow(real, 'x86_64', read, pc, undefined, undefined, new Set([base])));
    const cost = decodes;
    expect(cost).toBeGreaterThan(0);
    expect(at(pc)).toBe(first);
    expect(decodes).toBe(cost);
    code[101] = 0xf4; // hlt after the PC: the window must show it
    const changed = at(pc);
    expect(decodes).toBeGreaterThan(cost);
    expect(changed).not.toBe(first);
    expect(changed.map((l) => l.text).slice(4, 7)).toEqual(['nop', 'hlt', 'nop']);
  });
});
