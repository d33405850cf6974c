// View tests: each pure pane rendered from a fake snapshot, for both architectures and several
// page-table formats; assertions are on the text a user would read.
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { CpuPane } from '../../../cli/tui/cpu-pane.js';
import { FaultsPane, filterFaults } from '../../../cli/tui/faults-pane.js';
import { HoldsPane } from '../../../cli/tui/holds-pane.js';
import { DirtyPane } from '../../../cli/tui/dirty-pane.js';
import { GptPane } from '../../../cli/tui/gpt-pane.js';
import { FramesPane } from '../../../cli/tui/frames-pane.js';
import { gpa } from '../../../mmu/addr.js';
import { FakeSession } from './fake-session.js';

const frameOf = (el: React.ReactElement): string => {
  const r = render(el);
  const out = r.lastFrame() ?? '';
  r.unmount();
  return out;
};

describe('CPU pane', () => {
  it('shows the x86-64 register set, decoded rflags and the PC line', () => {
    const s = new FakeSession({ arch: 'x86_64' });
    s.advance(3);
    const out = frameOf(
      <CpuPane snap={s.snapshot()} changed={new Set(['rax'])} width={80} height={21} focused />,
    );
    for (const r of ['rax', 'rbx', 'r15', 'rip', 'rflags']) expect(out).toContain(r);
    expect(out).not.toMatch(/\bx30\b/);
    expect(out).toMatch(/rax\*0000000000000003/);
    expect(out).toMatch(/rbx +0000000000001000/);
    expect(out).toContain('rflags 0000000000000246  PF ZF IF');
    expect(out).toContain('> 0x00100009  add rax, 2');
    expect(out).toContain('insns 3');
    expect(out).toContain('>1 CPU');
  });

  it('names the paging mode above the disassembly, whole, in the 45-column pane of a 120x40 screen', () => {
    const s = new FakeSession({ arch: 'x86_64' });
    s.advance(3);
    const snap = s.snapshot();
    const withMode = { ...snap, cpu: { ...snap.cpu, mode: 'long mode, paging on' } };
    const out = frameOf(<CpuPane snap={withMode} changed={new Set()} width={45} height={30} focused />);
    expect(out).toContain('disassembly (long mode, paging on)');
    expect(out).toMatch(/rflags 0000000000000246 {2}PF ZF IF +║/);
  });

  it('shows the arm64 register set and NZCV', () => {
    const s = new FakeSession({ arch: 'arm64' });
    s.advance(2);
    const out = frameOf(
      <CpuPane snap={s.snapshot()} changed={new Set(['pc'])} width={80} height={21} focused={false} />,
    );
    for (const r of ['x0 ', 'x17', 'x30', 'sp ', 'nzcv']) expect(out).toContain(r);
    expect(out).not.toContain('rax');
    expect(out).toContain('nzcv 0000000060000000  Z C');
    expect(out).toMatch(/pc \*0000000040080008/);
    expect(out).toMatch(/x1 +0000000000001000/);
    expect(out).toContain('> 0x40080008  add x0, x0, #2');
    expect(out).toContain(' 1 CPU');
  });
});

describe('Faults pane', () => {
  it('lists faults with kind, GPA, result and frame, newest last', () => {
    const s = new FakeSession({ arch: 'x86_64', pages: 64 });
    s.advance(30);
    s.harvest();
    const snap = s.snapshot();
    const out = frameOf(
      <FaultsPane snap={snap} filter="all" cursorSeq={null} width={80} height={21} focused />,
    );
    // the newest rows fit; the oldest scrolled off the top
    expect(out).toMatch(/seq kind {2}result gpa +frame\s/);
    expect(out).not.toMatch(/ 0x00000000 /);
    expect(out).toMatch(/read +mapped 0x00014000 0x114/);
    expect(out).toMatch(/write mapped 0x00017000 0x117/);
    expect(out).toMatch(/mmio +MMIO +0x0003c000 -/);
    expect(out).toContain('action harvest:');
    expect(out).toContain('filter: all');
    expect(out).not.toContain('gva');
  });

  it('shows the whole address and frame in the 38-column pane of a 120x40 screen', () => {
    const s = new FakeSession({ arch: 'x86_64', pages: 64 });
    s.advance(30);
    const out = frameOf(
      <FaultsPane snap={s.snapshot()} filter="all" cursorSeq={null} width={38} height={21} focused />,
    );
    expect(out).toMatch(/write mapped 0x00017000 0x117 *║/);
    expect(out).not.toMatch(/mapped 0x[0-9a-f]*~/);
  });

  it('filters by kind and shows GVAs when the guest pages', () => {
    const s = new FakeSession({ arch: 'arm64', guestPaging: true });
    s.advance(30);
    const snap = s.snapshot();
    const writes = filterFaults(snap.faults.entries, 'write');
    expect(writes.length).toBeGreaterThan(0);
    const out = frameOf(
      <FaultsPane snap={snap} filter="write" cursorSeq={null} width={90} height={21} focused />,
    );
    expect(out).toContain('filter: write');
    expect(out).toMatch(/seq kind {2}result gpa +frame gva/);
    expect(out).toMatch(/write mapped 0x40003000 0x103 +0x00403000/);
    expect(out).not.toMatch(/\bread /);
    expect(out).not.toContain('MMIO');
  });

  it('marks the cursor row', () => {
    const s = new FakeSession();
    s.advance(10);
    const snap = s.snapshot();
    const second = snap.faults.entries[1];
    const out = frameOf(
      <FaultsPane snap={snap} filter="all" cursorSeq={second.seq} width={80} height={21} focused />,
    );
    expect(out).toMatch(new RegExp(`>\\s+${second.seq} `));
    expect(out).toContain('(cursor)');
  });
});

describe('Holds pane', () => {
  it('shows clients, their states and their holds', () => {
    const s = new FakeSession({ pages: 64 });
    s.resume();
    s.advance(30); // page 60 (uart, MMIO) is touched: the uart client takes a hold
    const out = frameOf(<HoldsPane snap={s.snapshot()} scroll={0} width={80} height={21} focused />);
    expect(out).toMatch(/\*c0 vcpu0 +ON_CPU +0 holds/);
    expect(out).toMatch(/\*c1 uart +ACTIVE +1 hold/);
    expect(out).toContain('gpa 0x0003f000  rw-  deferred-dirty  chain 7');
    expect(out).toMatch(/#\d+ hold +c1 gpa 0x0003c000 rw-/);
  });

  it('shows an idle machine with no holds', () => {
    const s = new FakeSession({ arch: 'arm64' });
    const out = frameOf(<HoldsPane snap={s.snapshot()} scroll={0} width={60} height={12} focused={false} />);
    expect(out).toMatch(/ c0 vcpu0 +IDLE/);
    expect(out).toContain('recent: none yet');
    expect(out).toContain('2 clients, 0 holds');
  });
});

describe('Dirty pane', () => {
  it('draws one cell per page with legend, counts and the cursor', () => {
    const s = new FakeSession({ pages: 64 });
    s.advance(4); // pages 0 (read), 3 (write), 6 (read), 9 (write)
    const out = frameOf(<DirtyPane snap={s.snapshot()} cursor={3} width={80} height={12} focused />);
    expect(out).toContain('. not present');
    expect(out).toContain('D dirty');
    expect(out).toContain('dirty since harvest 2');
    expect(out).toContain('tracking ON');
    expect(out).toContain('a..@..a..D');
    expect(out).toContain('@ 0x00003000 dirty  ram 0x00000000+240 KiB rwx');
    expect(out).toContain('64 pages');
  });

  it('groups pages into cells when memory is large', () => {
    const s = new FakeSession({ arch: 'arm64', pages: 4096 });
    s.advance(8);
    s.harvest();
    const out = frameOf(<DirtyPane snap={s.snapshot()} cursor={0} width={40} height={12} focused={false} />);
    expect(out).toMatch(/cell = \d+ pages/);
    expect(out).toContain('harvests 1');
    expect(out).toContain('dirty since harvest 0');
    expect(out).toContain('@ 0x40000000 accessed');
    expect(out).not.toMatch(/\bD\b(?! dirty)/);
  });
});

describe('GPT pane', () => {
  it('decodes an EPT root pointer and walk', () => {
    const s = new FakeSession({ arch: 'x86_64', format: 'ept' });
    s.advance(4);
    s.select(gpa(0x3000));
    const out = frameOf(<GptPane snap={s.snapshot()} width={96} height={22} focused />);
    expect(out).toContain('Intel EPT  EPTP 000000000000505e  gen 1');
    expect(out).toContain('MT=6 (WB) WALK=3 (4-level walk) AD=1 ADDR=0x5000');
    expect(out).toContain('walk of gpa 0x00003000:');
    expect(out).toMatch(/L1\[ {2}3\] @0x00008018 0000000000103377 leaf/);
    expect(out).toContain('R=1 W=1 X=1 MT=6 (WB) IPAT=1 A=1 D=1 XU=0 ADDR=0x103000');
    expect(out).toContain('R=1 W=1 X=1 A=0 XU=0 ADDR=0x6000');
    expect(out).toMatch(/L4 +1 table +refs 1/);
  });

  it('decodes a stage-2 VTTBR and descriptor differently', () => {
    const s = new FakeSession({ arch: 'arm64', format: 's2' });
    s.advance(4);
    s.select(gpa(0x4000_3000));
    const out = frameOf(<GptPane snap={s.snapshot()} width={100} height={22} focused={false} />);
    expect(out).toContain('arm64 stage-2  VTTBR 0001000000005000');
    expect(out).toContain('CnP=0 ADDR=0x5000 VMID=1');
    expect(out).not.toContain('EPTP');
    expect(out).toContain('S2AP=3 (read-write)');
    expect(out).toContain('VALID=1 TYPE=1 ADDR=0x6000');
    expect(out).toContain('AF=1 ADDR=0x103000 DBM=1');
    expect(out).toContain('XN=0 (executable)');
    expect(out).toMatch(/L1\[ {2}3\] @0x00008018 00080000001037ff leaf/);
  });

  it('decodes nPT and shows the 2D walk when the guest pages', () => {
    const s = new FakeSession({ arch: 'x86_64', format: 'npt', guestPaging: true });
    s.advance(1);
    s.select(gpa(0), null);
    s.select(gpa(0), s.snapshot().faults.entries[0].gva);
    const out = frameOf(<GptPane snap={s.snapshot()} width={100} height={30} focused />);
    expect(out).toContain('AMD nPT  nCR3 0000000000005000');
    expect(out).toContain('P=1 RW=1 US=1 PWT=0 PCD=0 A=1 D=0 PAT=0 G=0 ADDR=0x100000 NX=0');
    expect(out).toContain('PWT=0 PCD=0 ADDR=0x5000');
    // the data row is the walk's result: not numbered, not counted among its references
    expect(out).toContain('2D walk of gva 0x000000400000: 2 references');
    expect(out).toContain('=> data         gpa 0x00000000 -> hpa 0x00100000');
    expect(out).toContain(' 2 guest  PML4  gpa 0x00001000 @hpa 0x00101000 = 0000000000002003 table');
    expect(out).toContain(
      ' 1 nested L4    gpa 0x00001000 @hpa 0x00005000 = 0000000000006007 for guest PML4 table',
    );
  });

  it('packs lines when the pane is short', () => {
    const s = new FakeSession({ format: 'ept' });
    s.advance(1);
    s.select(gpa(0));
    const out = frameOf(<GptPane snap={s.snapshot()} width={60} height={12} focused />);
    expect(out).toContain('tables: L4 1, L3 1, L2 1, L1 1');
    expect(out).toMatch(/L1\[ {2}0\] @0x00008000 0000000000100177 leaf R=1/);
  });
});

describe('Frames pane', () => {
  it('shows the PV head, PTE locations, attributes and pools', () => {
    const s = new FakeSession();
    s.advance(4);
    s.select(gpa(0x3000));
    const out = frameOf(<FramesPane snap={s.snapshot()} width={80} height={16} focused />);
    expect(out).toContain('gpa 0x00003000 -> hfn 0x103 (hpa 0x00103000)');
    expect(out).toContain('PV head: list (PV entries, two PTEs each)');
    expect(out).toContain('mapped by 2 PTEs:');
    expect(out).toContain('PTE @ 0x00008020');
    expect(out).toContain('PTE @ 0x00009010');
    expect(out).toContain('attrs: referenced modified');
    expect(out).toContain('PV pool: free 120  reserve 32  low-water 16');
    expect(out).toContain('tables: in use 4  cached 2  reserve 8  stolen 0');
  });

  it('says when the selected page has no frame, and cuts long PTE lists', () => {
    const s = new FakeSession({ arch: 'arm64' });
    s.select(gpa(0x4000_0000));
    expect(frameOf(<FramesPane snap={s.snapshot()} width={80} height={12} focused />)).toContain(
      'gpa 0x40000000: no host frame (not mapped)',
    );
    s.advance(1);
    const snap = s.snapshot();
    const many = {
      ...snap,
      selection: {
        ...snap.selection,
        frame: {
          ...snap.selection.frame!,
          headKind: 'list' as const,
          ptes: snap.selection.frame!.ptes.concat(Array(20).fill(0x9000)),
        },
      },
    };
    const out = frameOf(<FramesPane snap={many} width={80} height={12} focused />);
    expect(out).toMatch(/\+\d+ more/);
    expect(out).toContain('PV pool');
  });
});

describe('Frames pane, a merged frame', () => {
  it('lists every PTE with its VM, page and rights, and the VMs of the pages that share it', () => {
    const s = new FakeSession();
    s.advance(4);
    s.select(gpa(0x3000));
    const snap = s.snapshot();
    const frame = {
      ...snap.selection.frame!,
      mappers: [
        { vm: 0, gpa: 0x3000, prot: 5 },
        { vm: 1, gpa: 0x3000, prot: 5 },
      ],
      sharedBy: [0, 1, 1],
    };
    const out = frameOf(
      <FramesPane
        snap={{ ...snap, selection: { ...snap.selection, frame } }}
        width={80}
        height={16}
        focused
      />,
    );
    expect(out).toContain('PTE @ 0x00008020  vm0 0x00003000 r-x');
    expect(out).toContain('PTE @ 0x00009010  vm1 0x00003000 r-x');
    expect(out).toContain('shared (merged) by 3 pages: vm0 vm1 vm1');
  });
});

describe('pane frame', () => {
  it('keeps a line too long and lines too many inside its border', async () => {
    const { PaneFrame } = await import('../../../cli/tui/pane-frame.js');
    const { Text } = await import('ink');
    const long = 'x'.repeat(60);
    const out = frameOf(
      <PaneFrame title="T" index={1} focused={false} width={20} height={5}>
        <Text>{long}</Text>
        <Text>second</Text>
        <Text>third</Text>
      </PaneFrame>,
    );
    const lines = out.split('\n');
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(20);
    expect(lines[0]).toMatch(/^┌─+┐$/);
    expect(lines[4]).toMatch(/^└─+┘$/);
    for (const l of lines.slice(1, 4)) expect(l).toMatch(/^│.{18}│$/);
  });
});
