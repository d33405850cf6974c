// --gdb and --gdb-wait: what they accept, and one clear line with a documented status otherwise.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseGdbAddress } from '../../../cli/gdb/gdb-options.js';
import { runCli } from '../capture.js';

describe('--gdb [HOST:]PORT', () => {
  it('takes a port, :port, host:port and [v6]:port; 127.0.0.1 by default', () => {
    expect(parseGdbAddress('1234')).toEqual({ host: '127.0.0.1', port: 1234 });
    expect(parseGdbAddress(':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseGdbAddress('0.0.0.0:1234')).toEqual({ host: '0.0.0.0', port: 1234 });
    expect(parseGdbAddress('[::1]:9')).toEqual({ host: '::1', port: 9 });
  });

  it.each([['abc'], ['70000'], ['host:'], ['-1']])('refuses --gdb %s with status 2', async (v) => {
    const r = await runCli('run', 'guests/x86_64/hello.s', '--gdb', v);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^nestvm: --gdb: .* is not \[HOST:\]PORT/);
  });

  it('refuses --gdb-wait without --gdb, and --gdb given twice', async () => {
    const a = await runCli('run', 'guests/x86_64/hello.s', '--gdb-wait');
    expect(a.status).toBe(2);
    expect(a.stderr).toContain('--gdb-wait needs --gdb [HOST:]PORT');
    const b = await runCli('run', 'guests/x86_64/hello.s', '--gdb', '1', '--gdb', '2');
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('--gdb was given 2 times');
  });

  it('says so in one line, status 8, when the port is taken', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = await runCli('run', 'guests/x86_64/hello.s', '--gdb', String(port));
      expect(r.status).toBe(8);
      expect(r.stderr).toBe(`nestvm: --gdb: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n`);
    } finally {
      busy.close();
    }
  });
});
