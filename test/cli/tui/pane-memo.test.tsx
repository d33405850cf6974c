// The memoised panes: each pane's list of snapshot parts names everything it draws from (a pane
// given another snapshot's unlisted fields draws the same), and a pane whose parts and props are
// unchanged is not rendered again.
import { describe, expect, it } from 'vitest';
import { memo } from 'react';
import type { ReactElement } from 'react';
import { render } from 'ink-testing-library';
import type { TuiSnapshot } from '../../../cli/tui/model.js';
import { CpuPane } from '../../../cli/tui/cpu-pane.js';
import { FaultsPane } from '../../../cli/tui/faults-pane.js';
import { HoldsPane } from '../../../cli/tui/holds-pane.js';
import { DirtyPane } from '../../../cli/tui/dirty-pane.js';
import { GptPane } from '../../../cli/tui/gpt-pane.js';
import { FramesPane } from '../../../cli/tui/frames-pane.js';
import { MemoHoldsPane, PANE_PARTS, samePaneProps } from '../../../cli/tui/pane-memo.js';
import { gpa } from '../../../mmu/addr.js';
import { FakeSession } from './fake-session.js';

const frameOf = (el: ReactElement): string => {
  const r = render(el);
  const out = r.lastFrame() ?? '';
  r.unmount();
  return out;
};

/* Two snapshots that differ almost everywhere. */
function twoSnapshots(): [TuiSnapshot, TuiSnapshot] {
  const s = new FakeSession({ arch: 'x86_64', pages: 64, guestPaging: true });
  s.advance(5);
  const a = s.snapshot();
  s.advance(40);
  s.harvest();
  s.evict(gpa(s.base + 3 * 4096));
  s.select(gpa(s.base + 9 * 4096));
  s.resume();
  return [a, s.snapshot()];
}

/* `b` with the fields the pane lists taken from `a`: the pane must draw it exactly as `a`. */
function hybrid(a: TuiSnapshot, b: TuiSnapshot, parts: (s: TuiSnapshot) => readonly unknown[]): TuiSnapshot {
  const keys = new Set<string>();
  const probe = new Proxy(a, {
    get(t, k: string) {
      keys.add(k);
      return Reflect.get(t, k);
    },
  });
  parts(probe);
  const out: Record<string, unknown> = { ...b };
  for (const k of keys) out[k] = (a as unknown as Record<string, unknown>)[k];
  return out as unknown as TuiSnapshot;
}

const PANES: Record<keyof typeof PANE_PARTS, (snap: TuiSnapshot) => ReactElement> = {
  cpu: (snap) => <CpuPane snap={snap} changed={new Set()} width={60} height={24} focused={false} />,
  faults: (snap) => <FaultsPane snap={snap} filter="all" cursorSeq={null} width={60} height={12} focused />,
  holds: (snap) => <HoldsPane snap={snap} scroll={0} width={60} height={12} focused={false} />,
  dirty: (snap) => <DirtyPane snap={snap} cursor={2} width={40} height={12} focused={false} />,
  gpt: (snap) => <GptPane snap={snap} width={70} height={24} focused={false} />,
  frames: (snap) => <FramesPane snap={snap} width={60} height={12} focused={false} />,
};

describe('pane parts', () => {
  for (const id of Object.keys(PANES) as (keyof typeof PANES)[]) {
    it(`the ${id} pane draws only from the parts it lists`, () => {
      const [a, b] = twoSnapshots();
      const draw = PANES[id];
      const mixed = hybrid(a, b, PANE_PARTS[id]);
      expect(frameOf(draw(mixed))).toBe(frameOf(draw(a)));
      // and the two snapshots do differ in what this pane shows, or the check above proves little
      if (id !== 'holds') expect(frameOf(draw(b))).not.toBe(frameOf(draw(a)));
    });
  }
});

describe('memoised panes', () => {
  it('compare the listed parts by identity and every other prop', () => {
    const [a, b] = twoSnapshots();
    const same = samePaneProps<{ snap: TuiSnapshot; width: number }>(PANE_PARTS.holds);
    const onlyCpuMoved = { ...a, cpu: b.cpu, stamp: a.stamp + 1 };
    expect(same({ snap: a, width: 10 }, { snap: onlyCpuMoved, width: 10 })).toBe(true);
    expect(same({ snap: a, width: 10 }, { snap: onlyCpuMoved, width: 11 })).toBe(false);
    expect(same({ snap: a, width: 10 }, { snap: { ...a, clients: [...a.clients] }, width: 10 })).toBe(false);
  });

  it('are not rendered again when their parts and props did not change', () => {
    const [a, b] = twoSnapshots();
    let renders = 0;
    type Props = Parameters<typeof HoldsPane>[0];
    const Counting = (p: Props) => {
      renders++;
      return <HoldsPane {...p} />;
    };
    const Memo = memo(Counting, samePaneProps<Props>(PANE_PARTS.holds));
    const tree = (snap: TuiSnapshot) => (
      <Memo snap={snap} scroll={0} width={60} height={12} focused={false} />
    );
    const r = render(tree(a));
    expect(renders).toBe(1);
    r.rerender(tree({ ...a, cpu: b.cpu, stamp: a.stamp + 1 }));
    expect(renders).toBe(1);
    r.rerender(tree({ ...a, clients: [...a.clients], stamp: a.stamp + 2 }));
    expect(renders).toBe(2);
    r.unmount();
    // the App's own pane is built the same way
    expect((MemoHoldsPane as unknown as { type: unknown }).type).toBe(HoldsPane);
  });
});
