/*
 * The ACPI Multiprocessor Wakeup mailbox (ACPI 6.4, §5.2.12.19) of an x86-64 Machine with several
 * vCPUs: how the boot vCPU (APIC ID 0) starts the others, which are off at power-on.
 *
 *   guest-physical MP_WAKEUP_GPA (4 KiB aligned, in guest RAM; the guest must leave it alone
 *   otherwise):
 *
 *    0      2        4           8                    16
 *   +------+--------+-----------+--------------------+
 *   |cmd   |reserved| APIC ID   | wakeup vector       |
 *   |u16   |u16     | u32       | u64                 |
 *   +------+--------+-----------+--------------------+
 *
 *   cmd 1 = wakeup. The guest writes the APIC ID and the vector, then cmd = 1. The AP with that
 *   APIC ID that is off takes it: it clears cmd to 0 and starts at the vector (rip = vector, its
 *   other registers as the engine reset them: 64-bit mode, guest paging off, rsp at the top of
 *   guest RAM), and writes nothing else. A command nobody takes stays in the mailbox.
 *
 * nestvm's APs "poll" the mailbox at every turn boundary of the round-robin (vcpu-set.ts), never
 * inside a slice nor inside a turn that a slice cut short (a kick, a pause, a snapshot's count),
 * so a wakeup lands at the same instruction counts on every run, however it is sliced. The mailbox is
 * read and cleared as a snapshot reads and writes a page (snapshot/guest-pages.ts): in its frame or
 * its swap copy, with no nested fault, hold, Accessed or Dirty bit (a cleared page in a frame
 * loses its swap copy, so reclaim writes it out again); it reads only while some AP is still off.
 */
import { gpa as toGpa, PAGE_SIZE } from '../../mmu/addr.js';
import type { NestedVm } from '../nested-vm.js';
import { readGuestPage, writeGuestPage } from '../snapshot/guest-pages.js';
import type { VcpuSet } from '../vcpu-set.js';

/** Where the mailbox sits (guest-physical; x86-64 guest RAM starts at 0, images load at 1 MiB). */
export const MP_WAKEUP_GPA = 0x1000;
export const MP_WAKEUP_CMD = 1;

export class MpWakeup {
  private readonly page = new Uint8Array(PAGE_SIZE);

  constructor(
    private readonly vm: NestedVm,
    private readonly set: VcpuSet,
  ) {}

  /** At a turn boundary, start the AP the mailbox names, if it is off; the vCPU started, or null. */
  poll(): number | null {
    if (!this.set.atTurnBoundary() || this.set.cores.every((c) => c.power !== 'off')) return null;
    if (readGuestPage(this.vm, toGpa(MP_WAKEUP_GPA), this.page) === null) return null;
    const view = new DataView(this.page.buffer);
    if (view.getUint16(0, true) !== MP_WAKEUP_CMD) return null;
    const apic = view.getUint32(4, true);
    const core = this.set.cores[apic];
    if (core === undefined || core.power !== 'off') return null;
    const vector = view.getUint32(8, true) + view.getUint32(12, true) * 2 ** 32;
    core.uc.regWrite('rip', vector);
    core.power = 'on';
    view.setUint16(0, 0, true); // the AP took the command: its page goes back as it was, cmd 0
    writeGuestPage(this.vm, toGpa(MP_WAKEUP_GPA), this.page);
    return apic;
  }
}
