/*
 * Process exit statuses.
 *
 * A guest that stops by itself chooses its own status: 0 for `hlt` or PSCI SYSTEM_OFF, QEMU's
 * isa-debug-exit status (v << 1) | 1 (always odd), or the semihosting SYS_EXIT status. nestvm's own
 * statuses are even so they never collide with isa-debug-exit. The README lists them; keep the two
 * in step.
 */
export const EXIT = {
  ok: 0,
  /** bad flags, unreadable or malformed guest file, bad address */
  usage: 2,
  /** the guest faulted: nested fault with no mapping, guest page fault, unhandled exception */
  guestFault: 4,
  /** the guest ran into --max-insns or --timeout */
  limit: 6,
  /** the environment: Unicorn 2.1 missing or too old, not a TTY for `tui` */
  environment: 8,
  /** `lab grade`: the submission was graded and got less than full marks */
  labIncomplete: 12,
  /** a bug in nestvm (an invariant broke); rerun with --verbose for the stack */
  internal: 10,
} as const;
