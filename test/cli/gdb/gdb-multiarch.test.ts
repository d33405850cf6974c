// The gdb stub against the real gdb-multiarch (scripts/setup.sh test installs it), once per
// architecture, on the guest that turns on its own paging: connect, break at a label, continue,
// read registers (the paging ones too), read guest-virtual memory under the guest's own tables,
// step, watch a variable and see it hit on the store, walk an address from `monitor`, detach.
import { describe, expect, it } from 'vitest';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { runGdb, startStub } from './stub-harness.js';

const hex = (n: number) => '0x' + n.toString(16);

const ARCHES = [
  {
    arch: 'x86_64',
    guest: 'guests/x86_64/paging.s',
    pc: 'rip',
    // strcpy: mov al, [rsi] (2 bytes), then the store mov [rdi], al (2 bytes)
    firstLen: 2,
    storeLen: 2,
    storeText: /mov\s+%al,\(%rdi\)/,
    pagingReg: /cr3\s+0x300000/,
    buffer: 0x400000,
  },
  {
    arch: 'arm64',
    guest: 'guests/arm64/paging.s',
    pc: 'pc',
    // strcpy: ldrb w0, [x1], #1, then the store strb w0, [x2], #1 (4 bytes each)
    firstLen: 4,
    storeLen: 4,
    storeText: /strb\s+w0, \[x2\], #1/,
    pagingReg: /ttbr0_el1\s+0x40300000/,
    buffer: 0x40400000,
  },
] as const;

describe.each(ARCHES)('gdb-multiarch on the $arch paging guest', (a) => {
  it('breaks, reads registers and guest-virtual memory, steps, watches, walks and detaches', async () => {
    const image = await loadGuest(a.guest, { memBytes: 16 << 20 });
    const strcpy = image.symbols.find((s) => s.name === 'strcpy')!.addr;
    const store = strcpy + a.firstLen;
    const stub = await startStub('run', a.guest, '--gdb', '0', '--gdb-wait');
    const out = await runGdb(stub.port, [
      `break *${hex(strcpy)}`,
      'continue',
      'info registers',
      'x/4gx 0x7f0000000000',
      'stepi',
      `p/x $${a.pc}`,
      `x/i ${hex(store)}`,
      'watch *(long *)0x7f0000000000',
      'delete 1',
      'continue',
      `p/x $${a.pc}`,
      'x/2gx 0x7f0000000000',
      'monitor walk -v 0x7f0000000000',
      'monitor info tlb',
      'monitor mem',
      'detach',
    ]);
    expect(out).toContain(`Breakpoint 1, 0x${strcpy.toString(16).padStart(16, '0')} in ?? ()`);
    expect(out).toMatch(a.pagingReg);
    expect(out).toMatch(new RegExp(`${a.pc}\\s+0x${strcpy.toString(16)}`));
    expect(out).toMatch(/0x7f0000000000:\s+0x0000000000000000\s+0x0000000000000000/);
    expect(out).toContain(`$1 = ${hex(strcpy + a.firstLen)}`);
    expect(out).toMatch(a.storeText);
    // the watchpoint hits on the store: gdb shows the pc just after it, and the new byte ('p')
    expect(out).toMatch(
      /Hardware watchpoint 2: \*\(long \*\)0x7f0000000000\s+Old value = 0\s+New value = 112/,
    );
    expect(out).toContain(`$2 = ${hex(store + a.storeLen)}`);
    expect(out).toMatch(/0x7f0000000000:\s+0x0000000000000070\s+0x0000000000000000/);
    expect(out).toContain(`=> guest-physical ${hex(a.buffer)}`);
    expect(out).toContain('(24 references)');
    expect(out).toMatch(/translations Unicorn's TLB may hold .*: [1-9]\d*/);
    // the guest's own mapping of the high address, from `monitor mem`
    expect(out).toMatch(
      new RegExp(`0x00007f0000000000-0x00007f0000001000\\s+gpa 0x${a.buffer.toString(16).padStart(8, '0')}`),
    );
    expect(out).toContain('[Inferior 1 (Remote target) detached]');
    const r = await stub.done; // detached: the guest runs on to its end
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('paging works');
    expect(r.stdout).toContain('remapped');
  }, 90_000);
});
