#!/usr/bin/env node
// The `nestvm` executable: run the CLI on this process's arguments and exit with its status.
import { hideBin } from 'yargs/helpers';
import { exitQuietlyOnEpipe } from './epipe.js';
import { main } from './main.js';

exitQuietlyOnEpipe([process.stdout, process.stderr], (status) => process.exit(status));
process.exitCode = await main(hideBin(process.argv));
