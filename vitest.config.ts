import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Native Unicorn instances are process-global; forks keep each file isolated.
    pool: 'forks',
    testTimeout: 30_000,
    env: { NESTVM_CHECKS: 'full' },
  },
});
