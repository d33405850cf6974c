// The help screen explains every pane and every key of the real key map.
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { HelpScreen, helpLines, PANE_HELP } from '../../../cli/tui/help-screen.js';
import { KEY_HELP, keyToCommand } from '../../../cli/tui/keys.js';

describe('help screen', () => {
  it('lists all six panes and every key, in words', () => {
    const text = helpLines(76, 5000).join(' ').replace(/\s+/g, ' ');
    for (const p of PANE_HELP) expect(text).toContain(p.title);
    for (const k of KEY_HELP) expect(text).toContain(k.keys);
    expect(text).toContain('(5000 instructions)');
    expect(text).toContain('nested page fault');
    expect(PANE_HELP).toHaveLength(6);
  });

  it('every documented single-character key really does something', () => {
    for (const k of KEY_HELP) {
      if (k.keys.length !== 1) continue;
      expect(keyToCommand(k.keys, {}, false).type, k.keys).not.toBe('none');
    }
    expect(keyToCommand(' ', {}, false).type).toBe('toggle-run');
  });

  it('draws within its box and scrolls', () => {
    const r = render(<HelpScreen width={80} height={20} scroll={0} sliceSize={100} />);
    const top = r.lastFrame() ?? '';
    expect(top).toContain('nestvm live view: help');
    expect(top.split('\n')).toHaveLength(20);
    for (const line of top.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    r.rerender(<HelpScreen width={80} height={20} scroll={1000} sliceSize={100} />);
    const bottom = r.lastFrame() ?? '';
    expect(bottom).not.toContain('nestvm live view: help');
    expect(bottom).toContain('quit and give the terminal back');
    r.unmount();
  });
});
