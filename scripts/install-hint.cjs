// What to install to get Unicorn 2.1 on this system, as one sentence. The one place that knows the
// per-OS packages: scripts/setup.sh prints it (`node scripts/install-hint.cjs`) when set-up cannot
// find or fetch Unicorn, and the Unicorn binding appends it to its "cannot load" message
// (emulator/unicorn/install-hint.ts requires this file). Plain CommonJS, because setup.sh runs it
// before the TypeScript build exists. The system is read from process.platform and /etc/os-release.
'use strict';
const fs = require('node:fs');

/** ID and ID_LIKE of an os-release text, as one lower-case list of words. */
function osWords(osRelease) {
  const words = [];
  for (const line of osRelease.split('\n')) {
    const m = /^(ID|ID_LIKE)=["']?([^"'\n]*)["']?\s*$/.exec(line.trim());
    if (m) words.push(...m[2].toLowerCase().split(/\s+/).filter(Boolean));
  }
  return words;
}

function readOsRelease() {
  try {
    return fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}

const ENV_TAIL = 'or set NESTVM_LIBUNICORN to a libunicorn.so.2 of 2.1 or later';

/** The sentence for a platform ('linux', 'darwin', ...) and an os-release text. */
function installHint(platform = process.platform, osRelease = readOsRelease()) {
  const words = osWords(osRelease);
  const is = (...names) => names.some((n) => words.includes(n));
  if (platform === 'darwin')
    return 'install Unicorn 2.1 with Homebrew: brew install unicorn (then set NESTVM_LIBUNICORN to its libunicorn.2.dylib)';
  if (is('fedora', 'rhel', 'centos'))
    return `install Unicorn 2.1 with: sudo dnf install unicorn (${ENV_TAIL})`;
  if (is('arch')) return `install Unicorn 2.1 with: sudo pacman -S unicorn (${ENV_TAIL})`;
  if (is('debian', 'ubuntu'))
    return "as root, `nestvm setup` (in a clone: npm run setup) fetches Debian trixie's libunicorn2t64 (2.1.1) into its cache; or install libunicorn2t64 >= 2.1 yourself, or set NESTVM_LIBUNICORN";
  return 'install Unicorn 2.1 or later (Debian/Ubuntu: libunicorn2t64 from trixie; Fedora: dnf install unicorn; Arch: pacman -S unicorn; macOS: brew install unicorn) and set NESTVM_LIBUNICORN to libunicorn.so.2';
}

module.exports = { installHint, osWords };

if (require.main === module) console.log(installHint());
