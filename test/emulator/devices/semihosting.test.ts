import { describe, expect, it } from 'vitest';
import {
  ADP_STOPPED_APPLICATION_EXIT,
  SYS_EXIT,
  SYS_EXIT_EXTENDED,
  SYS_WRITE,
  SYS_WRITE0,
  SYS_WRITEC,
  semihostCall,
} from '../../../emulator/devices/semihosting.js';
import { FakeHost } from './fake-host.js';

describe('semihosting', () => {
  it('SYS_WRITEC prints the character at x1', () => {
    const h = new FakeHost();
    h.bytes(0x1100, 'Z');
    expect(semihostCall(SYS_WRITEC, 0x1100, h)).toEqual({ kind: 'return', x0: 0 });
    expect(h.text).toBe('Z');
  });

  it('SYS_WRITE0 prints a NUL-terminated string', () => {
    const h = new FakeHost();
    h.bytes(0x1200, 'hello\n\0junk');
    semihostCall(SYS_WRITE0, 0x1200, h);
    expect(h.text).toBe('hello\n');
  });

  it('SYS_WRITE prints to fd 1 and 2 and returns the bytes not written', () => {
    const h = new FakeHost();
    h.bytes(0x1400, 'abcdef');
    h.words(0x1300, 1, 0x1400, 3);
    expect(semihostCall(SYS_WRITE, 0x1300, h)).toEqual({ kind: 'return', x0: 0 });
    h.words(0x1300, 2, 0x1403, 3);
    semihostCall(SYS_WRITE, 0x1300, h);
    expect(h.text).toBe('abcdef');
    h.words(0x1300, 5, 0x1400, 3); // some file: nothing written
    expect(semihostCall(SYS_WRITE, 0x1300, h)).toEqual({ kind: 'return', x0: 3 });
    expect(h.text).toBe('abcdef');
  });

  it('SYS_EXIT with ApplicationExit exits with the subcode; other reasons exit 1', () => {
    for (const op of [SYS_EXIT, SYS_EXIT_EXTENDED]) {
      const h = new FakeHost();
      h.words(0x1500, ADP_STOPPED_APPLICATION_EXIT, 42);
      expect(semihostCall(op, 0x1500, h)).toEqual({ kind: 'stopped' });
      expect(h.stops[0]).toMatchObject({ reason: 'exit', code: 42 });
      h.words(0x1500, 0x20023, 7); // ADP_Stopped_RunTimeErrorUnknown
      semihostCall(op, 0x1500, h);
      expect(h.stops[1]).toMatchObject({ reason: 'exit', code: 1 });
    }
  });

  it('a bad parameter pointer and an unknown call are faults', () => {
    const h = new FakeHost();
    expect(semihostCall(SYS_WRITE0, 0x9999_0000, h)).toEqual({ kind: 'stopped' });
    expect(h.stops[0]).toMatchObject({ reason: 'fault', code: 4 });
    expect(h.stops[0].message).toMatch(/unmapped guest-physical 0x99990000/);
    semihostCall(0x01, 0x1000, h); // SYS_OPEN
    expect(h.stops[1]).toMatchObject({
      reason: 'fault',
      code: 4,
      message: 'unsupported semihosting call 0x1',
    });
  });
});
