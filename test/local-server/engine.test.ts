// DynamoDB Local as the service runs it: never two engines on one set of data files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineLockedError, startDynamoDBLocal } from '../../local-server/engine/dynamodb-local.ts';
import { ENGINE_CACHE_DIR } from '../../local-server/service.ts';

const dbPath = mkdtempSync(join(tmpdir(), 'jobs-engine-'));
afterAll(() => rmSync(dbPath, { recursive: true, force: true }));

describe('DynamoDB Local on a data directory', () => {
  it('refuses to start beside a live engine on the same files, and starts once that one has exited', async () => {
    const first = await startDynamoDBLocal({ dbPath, cacheDir: ENGINE_CACHE_DIR });
    try {
      await expect(startDynamoDBLocal({ dbPath, cacheDir: ENGINE_CACHE_DIR })).rejects.toBeInstanceOf(
        EngineLockedError,
      );
    } finally {
      await first.stop();
    }
    const second = await startDynamoDBLocal({ dbPath, cacheDir: ENGINE_CACHE_DIR });
    await second.stop();
  }, 60_000);
});
