// Reclaim in the live view: the Dirty grid marks swapped-out pages, the Frames pane shows the
// policy, its hand and the recent victims, and the collector logs evictions and major faults.
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { TuiCollector } from '../../../cli/tui/collector.js';
import { DirtyPane } from '../../../cli/tui/dirty-pane.js';
import { FramesPane } from '../../../cli/tui/frames-pane.js';
import { FaultsPane, faultColumns, faultRowText } from '../../../cli/tui/faults-pane.js';
import { markSwapped } from '../../../cli/tui/inspect.js';
import { PAGE_DIRTY, PAGE_NOT_PRESENT, PAGE_SWAPPED, type ReclaimInfo } from '../../../cli/tui/model.js';
import { gpa, hfn } from '../../../mmu/addr.js';
import { FakeSession } from './fake-session.js';

const frameOf = (el: Parameters<typeof render>[0]): string => {
  const r = render(el);
  const out = r.lastFrame() ?? '';
  r.unmount();
  return out;
};

const info: ReclaimInfo = {
  overcommitted: true,
  policy: 'clock',
  hand: { hfn: hfn(0x2a), gpa: gpa(0x5000) },
  victims: [
    { hfn: hfn(0x31), gpa: gpa(0x7000), dirty: true },
    { hfn: hfn(0x33), gpa: gpa(0x9000), dirty: false },
  ],
  evictions: 12,
  swapIns: 5,
  cleanDrops: 3,
  framesInUse: 250,
  framesTotal: 256,
};

describe('reclaim in the TUI', () => {
  it('the Dirty grid draws swapped-out pages as s, and names the state under the cursor', () => {
    const s = new FakeSession({ pages: 16 });
    s.advance(4); // pages 0 (read), 3 (write), 6 (read), 9 (write)
    const swapped = new Uint8Array(16);
    swapped[1] = 1; // not present: becomes swapped
    swapped[3] = 1; // dirty now (back in and written): stays dirty
    markSwapped(swapped, s.states);
    expect(s.states[1]).toBe(PAGE_SWAPPED);
    expect(s.states[3]).toBe(PAGE_DIRTY);
    expect(s.states[2]).toBe(PAGE_NOT_PRESENT);
    const out = frameOf(<DirtyPane snap={s.snapshot()} cursor={1} width={80} height={12} focused />);
    expect(out).toContain('s swapped out');
    expect(out).toContain('a@.D..a..D');
    expect(out).toContain('@ 0x00001000 swapped out');
  });

  it('the Frames pane shows the policy, the clock hand and the recent victims', () => {
    const s = new FakeSession();
    s.advance(4);
    s.select(gpa(0x3000));
    const out = frameOf(
      <FramesPane snap={{ ...s.snapshot(), reclaim: info }} width={80} height={20} focused />,
    );
    expect(out).toContain('reclaim clock  evictions 12  swap-ins 5  clean drops 3  frames 250/256');
    expect(out).toContain('hand 0x00005000 (hfn 0x2a)');
    expect(out).toContain('victims (newest last, * swapped out): 0x00007000* 0x00009000');
    const none = frameOf(<FramesPane snap={s.snapshot()} width={80} height={20} focused />);
    expect(none).not.toContain('reclaim');
    // a host with a frame for every page never reclaims: no lines for it
    const roomy = { ...s.snapshot(), reclaim: { ...info, overcommitted: false } };
    expect(frameOf(<FramesPane snap={roomy} width={80} height={20} focused />)).not.toContain('reclaim');
  });

  it('the collector logs evictions and major faults in the fault log', () => {
    const c = new TuiCollector();
    c.emit({ type: 'evict', hfn: 0x31, object: 'ram', page: 7, gpa: 0x7000, dirty: true, policy: 'clock' });
    c.emit({ type: 'evict', hfn: 0x33, object: 'ram', page: 9, gpa: -1, dirty: false, policy: 'clock' });
    c.emit({ type: 'swap-in', hfn: 0x40, object: 'ram', page: 7, gpa: 0x7000 });
    const { entries, total } = c.faults();
    expect(total).toBe(3);
    expect(entries.map((e) => [e.origin, e.kind, e.gpa, e.hfn, e.note])).toEqual([
      ['reclaim', 'evict', 0x7000, 0x31, 'swapped out'],
      ['reclaim', 'evict', undefined, 0x33, 'clean drop'],
      ['reclaim', 'major', 0x7000, 0x40, 'swapped in'],
    ]);
    const cols = faultColumns(entries, false);
    expect(faultRowText(entries[2], cols)).toMatch(/^ +3 major +0x00007000 0x40 +swapped in$/);
  });

  it('the Faults pane filters evictions and major faults apart from the faults', () => {
    const s = new FakeSession({ pages: 16 });
    s.advance(4); // four faults: reads and writes
    const c = new TuiCollector();
    c.emit({ type: 'evict', hfn: 0x31, object: 'ram', page: 7, gpa: 0x7000, dirty: true, policy: 'clock' });
    c.emit({ type: 'swap-in', hfn: 0x40, object: 'ram', page: 7, gpa: 0x7000 });
    const log = c.faults();
    const snap = {
      ...s.snapshot(),
      faults: { entries: [...s.snapshot().faults.entries, ...log.entries], total: 6 },
    };
    const pane = (filter: 'evict' | 'major' | 'write') =>
      frameOf(<FaultsPane snap={snap} filter={filter} cursorSeq={null} width={80} height={12} focused />);
    const evicts = pane('evict');
    expect(evicts).toContain('filter: evict  1/6');
    expect(evicts).toMatch(/evict +0x00007000 0x31 +swapped out/);
    expect(evicts).not.toContain('swapped in');
    expect(evicts).not.toMatch(/ write /);
    const majors = pane('major');
    expect(majors).toContain('filter: major  1/6');
    expect(majors).toMatch(/major +0x00007000 0x40 +swapped in/);
    expect(majors).not.toContain('swapped out');
    expect(pane('write')).not.toMatch(/swapped/);
  });
});
