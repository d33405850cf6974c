/*
 * A short seeded slice of the fuzzing campaign (`npm run fuzz` runs the long one). Seed 7 at scale
 * 24 runs every named regression case of the first campaign, 24 random guests per architecture,
 * a dozen mutated samples and a handful of random malformed files, flags and sources. Nothing may
 * fail, and the slice must finish inside its time bound rather than be cut short.
 */
import { describe, expect, it } from 'vitest';
import { runCampaign } from '../../fuzz/campaign.js';

describe('fuzz campaign, seeded slice', () => {
  it('seed 7, scale 24: every case ends as documented', { timeout: 300_000 }, async () => {
    const report = await runCampaign({ seed: 7, scale: 24, seconds: 240 });
    const failures = Object.values(report.categories).flatMap((c) => c.failures);
    expect(failures).toEqual([]);
    expect(report.cutShort).toBe(false);
    expect(report.categories['random x86_64'].cases).toBe(24);
    expect(report.categories['random arm64'].cases).toBe(24);
    expect(report.categories['mutated'].cases).toBe(12);
    expect(report.categories['elf'].cases).toBeGreaterThan(22);
    expect(report.categories['flags'].cases).toBeGreaterThan(10);
    expect(report.categories['asm'].cases).toBeGreaterThan(3);
  });
});
