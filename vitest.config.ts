import { defineConfig } from 'vitest/config';

// Two cores here and in CI: two workers, one DynamoDB Local for the whole run (global setup).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'functions/**/*.test.ts', 'local/**/*.test.ts', 'lib/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      // Tests that read logs raise the level themselves; the rest keep the output readable.
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
  },
});
