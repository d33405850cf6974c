#!/usr/bin/env node
// The `nestvm` executable: run the CLI on this process's arguments and exit with its status.
import { hideBin } from 'yargs/helpers';
import { main } from './main.js';

process.exitCode = await main(hideBin(process.argv));
