/*
 * What to install to get Unicorn 2.1 on this system, for the binding's "cannot load" and "too old"
 * messages. The per-OS sentences live once, in scripts/install-hint.cjs, which scripts/setup.sh
 * runs too; it ships in the package beside dist/, so this module loads it from the package root.
 * Should it be missing, the hint falls back to the one sentence that holds everywhere.
 */
import { createRequire } from 'node:module';
import { packagePath } from '../package-root.js';

const FALLBACK = 'install Unicorn 2.1 or later and set NESTVM_LIBUNICORN to its libunicorn.so.2';

/** The one-sentence hint for this machine (platform and /etc/os-release). */
export function installHint(): string {
  try {
    const script = packagePath('scripts', 'install-hint.cjs');
    const mod = createRequire(script)(script) as { installHint: () => string };
    return mod.installHint();
  } catch {
    return FALLBACK;
  }
}

/** The advice every Unicorn set-up message ends with: the hint, and `nestvm setup` to check. */
export function setupAdvice(): string {
  const hint = installHint();
  return hint.includes('nestvm setup') ? hint : `${hint}; then \`nestvm setup\` checks it`;
}
