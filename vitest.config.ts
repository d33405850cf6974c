import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Native Unicorn instances are process-global; forks keep each file isolated.
    pool: 'forks',
    testTimeout: 30_000,
    // CI=false: Ink decides once, when it loads, whether to draw live; the component tests need it to.
    // (CI itself runs with CI=true; the tmux end-to-end test sets CI=true for the CLI it starts.)
    env: { NESTVM_CHECKS: 'full', CI: 'false' },
  },
});
