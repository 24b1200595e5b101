// The fault suite: each file starts its own service (and engine) and kills parts of it; the files run one at a
// time so that the latencies they assert are the service's, not those of the other files' load.
import { defineConfig } from 'vitest/config';
import base, { RELIABILITY } from './vitest.config.ts';

export default defineConfig({
  test: {
    ...base.test,
    include: [RELIABILITY],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 150_000,
  },
});
