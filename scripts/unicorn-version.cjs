// Prints the version of the Unicorn library at argv[2] ("2.1.1"), or exits 1 when it cannot load.
// Used by scripts/setup.sh before the TypeScript build exists, hence plain CommonJS.
'use strict';
const koffi = require('koffi');
try {
  const lib = koffi.load(process.argv[2]);
  const ucVersion = lib.func('unsigned int uc_version(unsigned int *major, unsigned int *minor)');
  const v = ucVersion(null, null) >>> 0;
  // uc_version packs (major << 24 | minor << 16 | patch << 8 | extra)
  console.log(`${(v >>> 24) & 0xff}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}`);
} catch {
  process.exit(1);
}
