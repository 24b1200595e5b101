// Starts one in-memory DynamoDB Local for the whole test run and hands its endpoint to every test file.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDBLocal } from '../../local-server/engine/dynamodb-local.ts';
import { ENGINE_CACHE_DIR } from '../../local-server/service.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    /** Where each test file adds how many responses it checked against the OpenAPI document. */
    contractTally: string;
  }
}

export default async function setup(project: TestProject) {
  mkdirSync(ENGINE_CACHE_DIR, { recursive: true });
  const engine = await startDynamoDBLocal({ cacheDir: ENGINE_CACHE_DIR });
  project.provide('dynamodbEndpoint', engine.endpoint);
  const tally = join(mkdtempSync(join(tmpdir(), 'jobs-contract-')), 'validated');
  writeFileSync(tally, '');
  project.provide('contractTally', tally);
  return async () => {
    const total = readFileSync(tally, 'utf8')
      .split('\n')
      .filter(Boolean)
      .reduce((sum, n) => sum + Number(n), 0);
    console.log(`OpenAPI contract: ${total} responses validated against the served document`);
    rmSync(dirname(tally), { recursive: true, force: true });
    await engine.stop();
  };
}
