// NO_COLOR: the live view draws no colour SGR code at all when it is set (bold, dim and inverse
// stay), and colours when it is not. Colours are forced on for chalk (FORCE_COLOR, read when chalk
// loads) so that "no colour" cannot pass merely because the test's stdout is not a terminal.
// Everything that loads Ink (and so chalk) is imported after FORCE_COLOR is set.
import { afterEach, describe, expect, it } from 'vitest';

process.env.FORCE_COLOR = '1';
const { FakeSession } = await import('./fake-session.js');
const { FakeStdin, FakeStdout, tick } = await import('./render-at.js');
const { startTui } = await import('../../../cli/tui/index.js');
const { coloursWanted } = await import('../../../cli/tui/colours.js');

/** The SGR parameters of every SGR sequence in `text` that sets a colour (30-49, 90-107). */
function colourCodes(text: string): string[] {
  // eslint-disable-next-line no-control-regex -- SGR sequences start with ESC
  const codes = [...text.matchAll(/\u001B\[([0-9;]*)m/g)].map((m) => m[1]);
  return codes.filter((c) =>
    c.split(';').some((p) => {
      const n = Number(p);
      return p !== '' && ((n >= 30 && n <= 49) || (n >= 90 && n <= 107));
    }),
  );
}

async function screenWith(env: string | undefined): Promise<string> {
  const saved = process.env.NO_COLOR;
  if (env === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = env;
  try {
    const stdout = new FakeStdout(120, 40);
    const stdin = new FakeStdin();
    const done = startTui(new FakeSession(), {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      stderr: new FakeStdout(120, 40) as unknown as NodeJS.WriteStream,
      refreshMs: 20,
      patchConsole: false,
    });
    await tick(60);
    stdin.write('s'); // a step: changed registers are highlighted (bold, and yellow with colour)
    await tick(60);
    stdin.write('q');
    await done;
    return stdout.frames.join('');
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  }
}

afterEach(() => {
  delete process.env.NO_COLOR;
});

describe('NO_COLOR', () => {
  it('coloursWanted follows no-color.org: set and not empty means no colour', () => {
    expect(coloursWanted({})).toBe(true);
    expect(coloursWanted({ NO_COLOR: '' })).toBe(true);
    expect(coloursWanted({ NO_COLOR: '1' })).toBe(false);
    expect(coloursWanted({ NO_COLOR: 'anything' })).toBe(false);
  });

  it('without it the screen has colours (the check below can fail)', async () => {
    const text = await screenWith(undefined);
    expect(text).toContain('1 CPU');
    expect(colourCodes(text).length).toBeGreaterThan(0);
  });

  it('with it the screen has no colour code, and keeps bold and inverse', async () => {
    const text = await screenWith('1');
    expect(text).toContain('1 CPU');
    expect(text).toContain('rip*');
    expect(colourCodes(text)).toEqual([]);
    expect(text).toContain('\u001B[1m'); // bold
    expect(text).toContain('\u001B[7m'); // inverse
  });
});
