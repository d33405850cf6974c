import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Native Unicorn instances are process-global; forks keep each file isolated.
    pool: 'forks',
    // One file per core. Vitest's own default is one fewer than the cores, which is a single
    // worker on the 2-core machines the suite runs on. The files are parallel-safe: temporary
    // files come from mkdtemp, the tmux server has a per-process socket, the gdb stub listens on
    // port 0, and the one shared folder (.cache/v8) is written only for a command no other file
    // starts as a process (test/cli/launch.test.ts). `--maxWorkers=1` on the command line still wins.
    maxWorkers: Math.max(availableParallelism(), 1),
    testTimeout: 30_000,
    // CI=false: Ink decides once, when it loads, whether to draw live; the component tests need it to.
    // (CI itself runs with CI=true; the tmux end-to-end test sets CI=true for the CLI it starts.)
    env: { NESTVM_CHECKS: 'full', CI: 'false' },
  },
});
