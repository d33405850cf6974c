/*
 * Live migration end to end, on the library side: c-writer (the C guest that keeps writing) on
 * both architectures, EPT to nPT on x86-64, a run that does not converge, two assembly samples (one
 * with its own paging on, one driving the DMA engine), the RAM check catching a planted corruption
 * and the reference check catching a hand-over without the guest state.
 *
 * Every case checks what the migration claims against what can be seen: the destination's console
 * is the sample's expected file, the rounds chain (each round sends what the previous one left),
 * the totals add up, and the two sides' instructions sum to the unmigrated run's.
 * NESTVM_CHECKS=full is off here (rig.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Migration, MigrationResult, MigrationSetup } from '../../../emulator/migration/migration.js';
import { flipByte, pageGpa } from '../../../emulator/migration/ram-pages.js';
import { gpa } from '../../../mmu/addr.js';
import type { Arch } from '../../../emulator/arch.js';
import { MEM, expected, migrationRig } from './rig.js';

/* The paging sample maps pages past 4 MiB. */
const ASM_MEM = 16 << 20;
const prepared = migrationRig();

async function migrate(
  file: string,
  over: Partial<Omit<MigrationSetup, 'image'>> = {},
  memBytes = MEM,
): Promise<{ r: MigrationResult; m: Migration }> {
  const m = await prepared(file, over, memBytes);
  return { r: m.run(), m };
}

/* What every completed migration must satisfy. */
function expectSound(r: MigrationResult, console: string): void {
  expect(r.handover?.mismatch).toBeNull();
  expect(r.reference).toMatchObject({ console: true, exit: true, instructions: true });
  expect(r.console).toBe(console);
  expect(r.instructions.destination).toBeGreaterThan(0);
  expect(r.instructions.source + r.instructions.destination).toBe(r.reference!.totalInstructions);
  for (let i = 1; i < r.rounds.length; i++) expect(r.rounds[i].sent).toBe(r.rounds[i - 1].remaining);
  const last = r.rounds[r.rounds.length - 1];
  expect(r.handover!.stopAndCopy).toBe(last.remaining);
  expect(r.totalSent).toBe(r.rounds.reduce((n, x) => n + x.sent, 0) + last.remaining);
  for (const x of r.rounds) expect(x.rate).toBe(Math.round((x.dirtied * 1e6) / x.insns));
}

describe('migrate c-writer', () => {
  const arches: [Arch, string][] = [
    ['x86_64', 'npt'],
    ['arm64', 's2'],
  ];
  for (const [arch, dstFormat] of arches) {
    it(`${arch}: converges mid-run and finishes on the destination (${dstFormat}, another seed)`, async () => {
      const { r } = await migrate(`${arch}/c-writer/c-writer.elf`, {
        destination: { memBytes: MEM, format: dstFormat as 'npt' | 's2', seed: 5 },
        startAfter: 1_000_000,
      });
      expect(r.precopy).toBe('converged');
      expect(r.converged).toBe(true);
      expect(r.rounds[0].sent).toBeGreaterThanOrEqual(160); // the working set, at least
      expect(r.rounds[r.rounds.length - 1].remaining).toBeLessThan(32);
      expectSound(r, expected(`c-writer-${arch}`));
    });
  }

  it('does not converge below the hot window, stops after --max-rounds, and still hands over intact', async () => {
    const { r } = await migrate('arm64/c-writer/c-writer.elf', {
      destination: { memBytes: MEM, hostLayout: 'identity' },
      startAfter: 600_000,
      downtimePages: 8,
      maxRounds: 3,
    });
    expect(r.precopy).toBe('max-rounds');
    expect(r.converged).toBe(false);
    expect(r.rounds.map((x) => x.round)).toEqual([0, 1, 2]);
    expect(r.rounds.every((x) => x.dirtied >= 8)).toBe(true);
    expectSound(r, expected('c-writer-arm64'));
  });

  it('gives the same rounds every time', async () => {
    const rounds = async () => {
      const m = await prepared('x86_64/c-writer/c-writer.elf', {
        startAfter: 900_000,
        downtimePages: 8,
        maxRounds: 4,
      });
      expect(m.warmUp()).toBeNull();
      const end = m.precopy.run();
      return { end, rounds: m.precopy.rounds };
    };
    const a = await rounds();
    expect(a.rounds).toHaveLength(4);
    expect(await rounds()).toEqual(a);
  });
});

describe('migrate assembly samples', () => {
  it('x86_64 paging (its own page tables on: CR3, CR0.PG cross over), EPT to nPT', async () => {
    const { r } = await migrate(
      'x86_64/paging.s',
      { destination: { memBytes: ASM_MEM, format: 'npt' }, sliceInsns: 500, bandwidth: 2, startAfter: 3_000 },
      ASM_MEM,
    );
    expect(r.handover).not.toBeNull();
    expectSound(r, expected('paging-x86_64'));
  });

  it('arm64 dma: the DMA engine registers cross over mid-run', async () => {
    const { r } = await migrate('arm64/dma.s', { sliceInsns: 2_000, bandwidth: 4, startAfter: 40_000 });
    expectSound(r, expected('dma-arm64'));
  });
});

describe('verification', () => {
  it('names the first page that differs at the hand-over, and the destination never runs', async () => {
    let planted = 0;
    const { r } = await migrate('x86_64/c-writer/c-writer.elf', {
      startAfter: 1_000_000,
      plant: (dst) => {
        planted = 0x130;
        flipByte(dst, gpa(pageGpa(dst, planted) + 0x123));
        flipByte(dst, pageGpa(dst, planted + 7)); // a later page: the first one is named
      },
    });
    expect(r.handover?.mismatch).toMatchObject({ page: planted, gpa: 0x130 * 4096 });
    expect(r.handover!.mismatch!.src).not.toBe(r.handover!.mismatch!.dst);
    expect(r.stop).toBeNull();
    expect(r.reference).toBeNull();
    expect(r.instructions.destination).toBe(0);
  });

  it('a hand-over without the guest state is caught by the reference run', async () => {
    const { r } = await migrate('x86_64/c-writer/c-writer.elf', {
      startAfter: 1_000_000,
      transfer: () => {},
    });
    expect(r.handover?.mismatch).toBeNull(); // the RAM was copied...
    // ...but the guest started over on the destination: it prints the same text (the console is
    // not carried either), so only the instruction count gives it away
    expect(r.reference?.instructions).toBe(false);
    expect(r.instructions.destination).toBe(r.reference?.totalInstructions);
  });
});
