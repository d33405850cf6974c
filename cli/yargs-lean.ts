/*
 * Two things yargs does on every start that `nestvm` does not need, turned off.
 *
 *   - After it starts a command's handler, yargs lays out that command's whole help text (cliui,
 *     string-width, wrap-ansi) and keeps it, in case the handler later asks for help. That was
 *     about 25 ms of every `nestvm run`. No nestvm handler asks for help, and the failure handler
 *     of cli/main.ts never prints it (it names `nestvm --help` instead), so the kept copy is never
 *     read. `--help` itself still lays the text out, when it is asked for.
 *   - `.version()` with no argument makes yargs look for a package.json above the folder its own
 *     code lives in. That is right only while yargs sits in node_modules next to nestvm's own
 *     manifest; in a bundle (scripts/bundle-cli.mjs) it would read the package.json of whatever
 *     folder the user is in. The version is therefore read here, from the nestvm package root.
 *
 * Invariant: what yargs prints, and when, is unchanged; only work whose result was never used is
 * skipped. If a later yargs renames the internal hook, `skipHelpCache` changes nothing.
 */
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { packagePath } from '../emulator/package-root.js';

interface UsageInternals {
  cacheHelpMessage?: () => void;
}

interface YargsInternals {
  getInternalMethods?: () => { getUsageInstance?: () => UsageInternals };
}

/** Stop yargs from laying out each command's help text before it is asked for. */
export function skipHelpCache<T>(cli: Argv<T>): Argv<T> {
  const usage = (cli as unknown as YargsInternals).getInternalMethods?.().getUsageInstance?.();
  if (usage !== undefined && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
  return cli;
}

/** The version in nestvm's own package.json. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
