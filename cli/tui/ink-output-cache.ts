/*
 * Ink's styled-line cache, kept from one frame to the next.
 *
 * Ink turns the tree into terminal text once per frame (ink/build/output.js): every line of every
 * Text is split into grapheme segments with Intl.Segmenter and made into one "styled char" object
 * per column (tokenize + styledCharsFromTokens). That is most of what a frame costs, and Ink keeps
 * the result only for the frame at hand (its OutputCaches object lives and dies with one Output).
 * In the live view most lines do not change between two frames (borders, the legend, the register
 * names, the fault rows that did not scroll), so they were tokenized again ten times a second.
 *
 * installInkOutputCache() wraps OutputCaches.prototype.getStyledChars so that a line's styled chars
 * are looked up in a module-wide cache first:
 *
 *     getStyledChars(line) ──► young.get(line) ──► old.get(line) (moved to young)
 *         ──► styledCharsQuick(line) (ink-styled-chars.ts) ──► Ink's own
 *
 * Two generations bound the memory: when `young` holds LIMIT lines it becomes `old` and the previous
 * `old` is dropped, so at most 2 x LIMIT lines are kept and a line still on the screen survives.
 *
 * Invariants:
 *   - the same line gives the same styled chars as Ink computes (the value is Ink's own result for
 *     that exact string, or styledCharsQuick's equal one; Ink only reads these arrays and their
 *     objects, never writes them);
 *   - installing twice is a no-op; when Ink's internals are not shaped as expected (another Ink
 *     version), nothing is changed and Ink draws as it always did: the result says so.
 *
 * Output.js is not in Ink's public exports; ink-output-class.ts finds it as Ink's renderer does.
 */
import { inkOutputClass } from './ink-output-class.js';
import { styledCharsQuick } from './ink-styled-chars.js';

/** Lines per generation: a 120x40 screen has a few hundred distinct lines, so all of a frame fits,
 * and the cache holds at most 2 x 1024 lines (a few MB of styled chars). */
const LIMIT = 1024;

type StyledChars = unknown[];
type Lookup = (this: unknown, line: string) => StyledChars;

export interface CacheState {
  young: Map<string, StyledChars>;
  old: Map<string, StyledChars>;
  hits: number;
  misses: number;
}

export const newCacheState = (): CacheState => ({ young: new Map(), old: new Map(), hits: 0, misses: 0 });

const state = newCacheState();
let installed: Promise<boolean> | null = null;

/** The cache in front of Ink's own lookup. */
export function cachedLookup(inner: Lookup, s: CacheState = state, limit = LIMIT): Lookup {
  return function (this: unknown, line: string): StyledChars {
    let chars = s.young.get(line);
    if (chars !== undefined) {
      s.hits++;
      return chars;
    }
    chars = s.old.get(line);
    if (chars !== undefined) s.hits++;
    else {
      s.misses++;
      chars = inner.call(this, line);
    }
    if (s.young.size >= limit) {
      s.old = s.young;
      s.young = new Map();
    }
    s.young.set(line, chars);
    return chars;
  };
}

/** Ink's OutputCaches prototype, found through a throwaway Output; null if not as expected. */
async function outputCachesPrototype(): Promise<Record<string, unknown> | null> {
  const Output = await inkOutputClass();
  return Output
    ? (Object.getPrototypeOf(new Output({ width: 1, height: 1 }).caches) as Record<string, unknown>)
    : null;
}

/** Put the cache in front of Ink's per-frame tokenizer; resolves to whether it is in place. */
export function installInkOutputCache(): Promise<boolean> {
  installed ??= outputCachesPrototype().then(
    (proto) => {
      if (!proto) return false;
      const inks = proto.getStyledChars as Lookup;
      proto.getStyledChars = cachedLookup(function (this: unknown, line: string) {
        return styledCharsQuick(line) ?? inks.call(this, line);
      });
      return true;
    },
    () => false,
  );
  return installed;
}

/** Lookups served from the cache and computed by Ink, since the process started (for tests, bench). */
export function inkOutputCacheStats(): { readonly hits: number; readonly misses: number } {
  return { hits: state.hits, misses: state.misses };
}
