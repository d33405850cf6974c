#!/usr/bin/env node
// The `nestvm` executable: run the CLI on this process's arguments and exit with its status.
// tsc's build runs this file as it is; the bundle (scripts/bundle-cli.mjs) compiles it as a
// CommonJS script behind cli/launch.ts, which is why it ends in `.then` rather than a top-level
// `await`.
import { hideBin } from 'yargs/helpers';
import { exitQuietlyOnEpipe } from './epipe.js';
import { main } from './main.js';

exitQuietlyOnEpipe([process.stdout, process.stderr], (status) => process.exit(status));
void main(hideBin(process.argv)).then((status) => {
  process.exitCode = status;
});
