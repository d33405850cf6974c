/*
 * Ink's Output class: the object that turns one frame's positioned writes into terminal text, and
 * the one both of the live view's frame fast paths patch (ink-output-cache.ts in front of its
 * styled-line lookup, ink-output-grid.ts in place of its get()).
 *
 * It is not among Ink's public exports, so it is loaded by file URL from next to Ink's entry point;
 * Node keys modules by URL, so this is the very module Ink's renderer uses. A throwaway instance
 * is checked for the shape the patches rely on; any other shape (another Ink version) gives null,
 * and then nothing is patched and Ink draws as it always did.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StyledChar } from '@alcalzone/ansi-tokenize';

export type Clip = { x1?: number; x2?: number; y1?: number; y2?: number };
export type Transformer = (line: string, index: number) => string;
export type Operation =
  | { type: 'write'; x: number; y: number; text: string; transformers: Transformer[] }
  | { type: 'clip'; clip: Clip }
  | { type: 'unclip' };

/** What the patches read of an Output object. */
export interface InkOutput {
  readonly width: number;
  readonly height: number;
  readonly operations: Operation[];
  readonly caches: {
    getStyledChars(line: string): StyledChar[];
    getStringWidth(text: string): number;
    getWidestLine(text: string): number;
  };
  get(): { output: string; height: number };
}

export type InkOutputClass = new (o: { width: number; height: number }) => InkOutput;

export async function inkOutputClass(): Promise<InkOutputClass | null> {
  const entry = createRequire(import.meta.url).resolve('ink');
  const mod = (await import(pathToFileURL(join(dirname(entry), 'output.js')).href)) as { default?: unknown };
  const Output = mod.default as InkOutputClass | undefined;
  if (typeof Output !== 'function' || typeof Output.prototype.get !== 'function') return null;
  const probe = new Output({ width: 1, height: 1 });
  const shaped =
    Array.isArray(probe.operations) &&
    typeof probe.caches?.getStyledChars === 'function' &&
    typeof probe.caches.getStringWidth === 'function' &&
    typeof probe.caches.getWidestLine === 'function';
  return shaped ? Output : null;
}
