import { defineConfig } from 'vitest/config';

/** The fault suite runs on its own, one file at a time, after the rest: it measures latency under faults. */
export const RELIABILITY = 'test/reliability/**/*.test.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', RELIABILITY],
    // One DynamoDB Local for the whole run; each test file makes its own table on it.
    globalSetup: ['test/setup/dynamodb-local.ts'],
    setupFiles: ['test/setup/contract-tally.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    env: { LOG_LEVEL: 'ERROR' },
  },
});
