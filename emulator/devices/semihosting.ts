/*
 * Arm semihosting (AArch64): `hlt #0xf000` with the operation in w0 and a parameter in x1, as
 * QEMU implements it with -semihosting. Supported operations:
 *
 *   0x03 SYS_WRITEC         x1 -> one character
 *   0x04 SYS_WRITE0         x1 -> NUL-terminated string
 *   0x05 SYS_WRITE          x1 -> block { fd, buf, len } (three 64-bit words); fd 1 and 2 go to
 *                           the console; returns the number of bytes NOT written (0, or len for
 *                           other descriptors)
 *   0x18 SYS_EXIT           x1 -> block { reason, subcode }: reason ADP_Stopped_ApplicationExit
 *   0x20 SYS_EXIT_EXTENDED       (0x20026) exits with status = subcode; any other reason exits
 *                           with status 1 (QEMU's rule)
 *
 * Any other operation stops the guest with a fault naming it (nestvm has no file system to offer).
 * A parameter pointer that does not translate is also a fault: the guest handed over a bad pointer.
 */
import { EXIT_FAULT } from '../stop-reason.js';
import type { TranslationFault } from '../translator.js';
import type { DeviceHost } from './device.js';
import type { CallOutcome } from './psci.js';

export const SEMIHOST_HLT_IMM = 0xf000;
export const SYS_WRITEC = 0x03;
export const SYS_WRITE0 = 0x04;
export const SYS_WRITE = 0x05;
export const SYS_EXIT = 0x18;
export const SYS_EXIT_EXTENDED = 0x20;
export const ADP_STOPPED_APPLICATION_EXIT = 0x20026;
/* A guest string longer than this is cut (a missing NUL must not read all of RAM). */
const MAX_STRING = 1 << 16;
const TWO_32 = 2 ** 32;

/* Where a bad pointer points, for the message (fault kinds of later layers may carry a gva). */
function where(f: TranslationFault): string {
  const g = f as { kind: string; gpa?: number; gva?: number };
  if (g.kind === 'nomap' && g.gpa !== undefined) return `unmapped guest-physical 0x${g.gpa.toString(16)}`;
  if (g.gva !== undefined) return `guest-virtual 0x${g.gva.toString(16)} (${g.kind})`;
  return `guest-physical 0x${(g.gpa ?? 0).toString(16)} (${g.kind})`;
}

class BadPointer {
  constructor(readonly fault: TranslationFault) {}
}

function bytes(host: DeviceHost, va: number, len: number): Uint8Array {
  const r = host.readGuest(va, len);
  if (!(r instanceof Uint8Array)) throw new BadPointer(r);
  return r;
}

function words(host: DeviceHost, va: number, n: number): number[] {
  const b = bytes(host, va, 8 * n);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from(
    { length: n },
    (_, i) => v.getUint32(8 * i + 4, true) * TWO_32 + v.getUint32(8 * i, true),
  );
}

function cString(host: DeviceHost, va: number): string {
  let out = '';
  for (let i = 0; i < MAX_STRING; i++) {
    const c = bytes(host, va + i, 1)[0];
    if (c === 0) break;
    out += String.fromCharCode(c);
  }
  return out;
}

export function semihostCall(op: number, param: number, host: DeviceHost): CallOutcome {
  try {
    return dispatch(op >>> 0, param, host);
  } catch (e) {
    if (!(e instanceof BadPointer)) throw e;
    host.stop({
      reason: 'fault',
      code: EXIT_FAULT,
      message: `semihosting call 0x${op.toString(16)} passed a pointer it cannot read: ${where(e.fault)}`,
    });
    return { kind: 'stopped' };
  }
}

function dispatch(op: number, param: number, host: DeviceHost): CallOutcome {
  switch (op) {
    case SYS_WRITEC:
      host.console(String.fromCharCode(bytes(host, param, 1)[0]));
      return { kind: 'return', x0: 0 };
    case SYS_WRITE0:
      host.console(cString(host, param));
      return { kind: 'return', x0: 0 };
    case SYS_WRITE: {
      const [fd, buf, len] = words(host, param, 3);
      if (fd !== 1 && fd !== 2) return { kind: 'return', x0: len };
      const data = bytes(host, buf, Math.min(len, MAX_STRING));
      host.console(String.fromCharCode(...data));
      return { kind: 'return', x0: len - data.length };
    }
    case SYS_EXIT:
    case SYS_EXIT_EXTENDED: {
      const [reason, subcode] = words(host, param, 2);
      const app = reason === ADP_STOPPED_APPLICATION_EXIT;
      const status = app ? subcode & 0xff : 1;
      host.stop({
        reason: 'exit',
        code: status,
        message: app
          ? `guest called semihosting SYS_EXIT with status ${subcode}`
          : `guest called semihosting SYS_EXIT with reason 0x${reason.toString(16)} (not ApplicationExit)`,
      });
      return { kind: 'stopped' };
    }
    default:
      host.stop({
        reason: 'fault',
        code: EXIT_FAULT,
        message: `unsupported semihosting call 0x${op.toString(16)}`,
      });
      return { kind: 'stopped' };
  }
}
