import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, fast, no root needed) and `e2e` (real dockerd
// per node, real keepalived; needs root and the test cluster from test/cluster/).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          // Some unit tests start the CLI or real tools (keepalived, busybox, git); on a loaded
          // machine that alone can pass vitest's 5 s default.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Brings the test cluster up before the files run and tears it down (checked) after.
          globalSetup: ['test/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
