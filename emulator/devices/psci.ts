/*
 * PSCI (Arm Power State Coordination Interface) over `hvc #0`, as QEMU's `virt` board offers it.
 * The function id is in w0; a call that returns puts its result in x0.
 *
 *   0x8400_0000  PSCI_VERSION     -> 0x0001_0000 (PSCI 1.0)
 *   0x8400_0008  SYSTEM_OFF       stops the machine: reason 'exit', status 0
 *   0x8400_0009  SYSTEM_RESET     stops the machine: reason 'exit', status 0 (nestvm does not reboot)
 *   0x8400_000A  PSCI_FEATURES    -> 0 for the three ids above, NOT_SUPPORTED otherwise
 *   anything else                 -> NOT_SUPPORTED (-1), as a firmware without that call
 *
 * Unicorn delivers `hvc` as an UNDEFINED exception (DESIGN §1); the arm64 vCPU recognises the
 * instruction and calls psciCall, then steps over the hvc when the call returns.
 */
import type { DeviceHost } from './device.js';

export const PSCI_VERSION = 0x8400_0000;
export const PSCI_SYSTEM_OFF = 0x8400_0008;
export const PSCI_SYSTEM_RESET = 0x8400_0009;
export const PSCI_FEATURES = 0x8400_000a;
export const PSCI_NOT_SUPPORTED = -1;
const VERSION_1_0 = 0x0001_0000;

export type CallOutcome = { readonly kind: 'return'; readonly x0: number } | { readonly kind: 'stopped' };

export function psciCall(fn: number, arg1: number, host: DeviceHost): CallOutcome {
  switch (fn >>> 0) {
    case PSCI_VERSION:
      return { kind: 'return', x0: VERSION_1_0 };
    case PSCI_SYSTEM_OFF:
      host.stop({ reason: 'exit', code: 0, message: 'guest called PSCI SYSTEM_OFF' });
      return { kind: 'stopped' };
    case PSCI_SYSTEM_RESET:
      host.stop({
        reason: 'exit',
        code: 0,
        message: 'guest called PSCI SYSTEM_RESET (nestvm stops instead of rebooting)',
      });
      return { kind: 'stopped' };
    case PSCI_FEATURES: {
      const known = [PSCI_VERSION, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_FEATURES].includes(arg1 >>> 0);
      return { kind: 'return', x0: known ? 0 : PSCI_NOT_SUPPORTED };
    }
    default:
      return { kind: 'return', x0: PSCI_NOT_SUPPORTED };
  }
}
