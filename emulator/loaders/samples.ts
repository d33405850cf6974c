/*
 * The sample guest index: guests/index.json, read by `nestvm guests` and by end-to-end tests.
 *
 *   {
 *     "samples": [
 *       {
 *         "name": "hello-x86_64",                     unique, "<sample>-<arch>"
 *         "arch": "x86_64" | "arm64",
 *         "path": "guests/x86_64/hello.s",            relative to the package root
 *         "description": "one line",
 *         "expected": "guests/expected/hello-x86_64.txt",   exact console text
 *         "exitStatus": 0,                            nestvm's exit status for the guest's exit
 *         "exit": "hlt" | "psci-off" | "isa-debug-exit" | "semihosting" | "limit",
 *         "maxInsns": 100000,                         only with "limit": the instruction limit the
 *                                                     sample is run with (it never stops by itself)
 *         "cpus": 4                                   optional, 2 to MAX_CPUS: the vCPUs the sample
 *                                                     is made for; `run` gives it that many when
 *                                                     --cpus is not given (absent: one)
 *       }, ...
 *     ]
 *   }
 *
 * Every name is the sample's short name (`sampleName`, e.g. "hello"), a dash, and its
 * architecture, so each short name stands for one guest per architecture; on the command line
 * either form names it (sample-name.ts).
 *
 * Invariant: `listSamples` returns only well-formed entries; a malformed index is a bug in the
 * repository, not a guest error, so it throws a plain Error naming the entry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHES, type Arch } from '../arch.js';
import type { StopKind } from '../stop-reason.js';
import { MAX_CPUS } from '../vcpu-set.js';

export type GuestExit = 'hlt' | 'psci-off' | 'isa-debug-exit' | 'semihosting' | 'limit';
const EXITS: readonly GuestExit[] = ['hlt', 'psci-off', 'isa-debug-exit', 'semihosting', 'limit'];

export interface GuestSample {
  readonly name: string;
  readonly arch: Arch;
  /** Relative to the package root, e.g. 'guests/arm64/hello.s'. */
  readonly path: string;
  readonly description: string;
  /** Relative path of the file holding the exact console output. */
  readonly expected: string;
  readonly exitStatus: number;
  readonly exit: GuestExit;
  /** The instruction limit a sample whose exit is 'limit' is run with; absent otherwise. */
  readonly maxInsns?: number;
  /** The vCPUs the sample is made for (2 to MAX_CPUS); absent: one. */
  readonly cpus?: number;
}

/** The stop reason a run of the sample ends with (with its maxInsns as the limit). */
export const sampleStop = (s: GuestSample): StopKind =>
  s.exit === 'hlt' ? 'halt' : s.exit === 'limit' ? 'limit' : 'exit';

/** The short name: "memtouch" for "memtouch-arm64". */
export const sampleName = (s: GuestSample): string => s.name.slice(0, -(s.arch.length + 1));

export const SAMPLE_INDEX = 'guests/index.json';

/** Read and check guests/index.json under `root` (the nestvm package root). */
export function listSamples(root: string): GuestSample[] {
  const doc = JSON.parse(readFileSync(join(root, SAMPLE_INDEX), 'utf8')) as { samples?: unknown };
  if (!Array.isArray(doc.samples)) throw new Error(`${SAMPLE_INDEX}: no "samples" array`);
  const seen = new Set<string>();
  return doc.samples.map((raw: unknown, i: number) => {
    const s = checkSample(raw, i);
    if (seen.has(s.name)) throw new Error(`${SAMPLE_INDEX}: sample name ${s.name} appears twice`);
    seen.add(s.name);
    return s;
  });
}

function checkSample(raw: unknown, i: number): GuestSample {
  const s = raw as Record<string, unknown>;
  const where = `${SAMPLE_INDEX}: samples[${i}]`;
  for (const key of ['name', 'arch', 'path', 'description', 'expected', 'exit']) {
    if (typeof s?.[key] !== 'string') throw new Error(`${where}: "${key}" must be a string`);
  }
  if (!ARCHES.includes(s.arch as Arch)) throw new Error(`${where}: unknown arch ${String(s.arch)}`);
  if (!EXITS.includes(s.exit as GuestExit)) throw new Error(`${where}: unknown exit ${String(s.exit)}`);
  if (!Number.isInteger(s.exitStatus)) throw new Error(`${where}: "exitStatus" must be an integer`);
  if (!(s.name as string).endsWith(`-${s.arch as string}`))
    throw new Error(`${where}: the name must end in -${s.arch as string}`);
  const limited = s.exit === 'limit';
  if (
    limited !== (s.maxInsns !== undefined) ||
    (limited && !(Number.isInteger(s.maxInsns) && (s.maxInsns as number) > 0))
  )
    throw new Error(`${where}: "maxInsns" (a positive integer) goes with "exit": "limit", and only with it`);
  const cpus = s.cpus;
  if (
    cpus !== undefined &&
    !(Number.isInteger(cpus) && (cpus as number) >= 2 && (cpus as number) <= MAX_CPUS)
  )
    throw new Error(`${where}: "cpus" must be an integer from 2 to ${MAX_CPUS}`);
  return {
    name: s.name as string,
    arch: s.arch as Arch,
    path: s.path as string,
    description: s.description as string,
    expected: s.expected as string,
    exitStatus: s.exitStatus as number,
    exit: s.exit as GuestExit,
    ...(limited ? { maxInsns: s.maxInsns as number } : {}),
    ...(cpus === undefined ? {} : { cpus: cpus as number }),
  };
}
