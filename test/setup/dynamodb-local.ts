// Starts one in-memory DynamoDB Local for the whole test run and hands its endpoint to every test file.
import { mkdirSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startDynamoDBLocal } from '../../infra/local/engine/dynamodb-local.ts';
import { ENGINE_CACHE_DIR } from '../../infra/local/service.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  mkdirSync(ENGINE_CACHE_DIR, { recursive: true });
  const engine = await startDynamoDBLocal({ cacheDir: ENGINE_CACHE_DIR });
  project.provide('dynamodbEndpoint', engine.endpoint);
  return () => engine.stop();
}
