/*
 * The kept counter offset (emulator/unicorn/counter-offset-cache.ts): the first call calibrates and
 * keeps the answer, a later one for the same library reads it back without calibrating, and a
 * library with another size or mtime, a corrupt file, a bare library name or no cache folder
 * calibrate again.
 */
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COUNTER_CACHE_FILE, keptCounterOffset } from '../../../emulator/unicorn/counter-offset-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'nestvm-counter-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lib = join(dir, 'libunicorn.so.2');
writeFileSync(lib, 'not really a library');

function counting(answer: number | null) {
  let calls = 0;
  return { calibrate: () => (calls++, answer), calls: () => calls };
}

describe('the kept counter offset', () => {
  it('calibrates once, then reads the kept answer for the same library', () => {
    const c = counting(1368);
    expect(keptCounterOffset(lib, dir, c.calibrate)).toBe(1368);
    expect(keptCounterOffset(lib, dir, c.calibrate)).toBe(1368);
    expect(c.calls()).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, COUNTER_CACHE_FILE), 'utf8')).offset).toBe(1368);
  });

  it('keeps a failed calibration (null) too', () => {
    const other = join(dir, 'libother.so');
    writeFileSync(other, 'x');
    const c = counting(null);
    expect(keptCounterOffset(other, dir, c.calibrate)).toBeNull();
    expect(keptCounterOffset(other, dir, c.calibrate)).toBeNull();
    expect(c.calls()).toBe(1);
  });

  it('calibrates again for a library changed in size or mtime', () => {
    keptCounterOffset(lib, dir, () => 1368);
    writeFileSync(lib, 'a longer library than before');
    const c = counting(1376);
    expect(keptCounterOffset(lib, dir, c.calibrate)).toBe(1376);
    utimesSync(lib, new Date(1e12), new Date(1e12));
    expect(keptCounterOffset(lib, dir, c.calibrate)).toBe(1376);
    expect(c.calls()).toBe(2);
  });

  it('calibrates past a corrupt file, a bare name and a missing folder', () => {
    writeFileSync(join(dir, COUNTER_CACHE_FILE), '{ not json');
    const c = counting(1368);
    expect(keptCounterOffset(lib, dir, c.calibrate)).toBe(1368);
    expect(keptCounterOffset('libunicorn.so.2', dir, c.calibrate)).toBe(1368);
    expect(keptCounterOffset(lib, null, c.calibrate)).toBe(1368);
    expect(c.calls()).toBe(3);
  });
});
