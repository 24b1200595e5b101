// The composition root in AWS, split by the SDK clients each part loads: a function's entry point imports only
// the parts it uses, so it loads (and is granted) only what those parts call. Every function has this base.
import { readConfig, VERSION, type Config } from '../../../config.ts';
import { RunLifecycle } from '../../../core/run-lifecycle.ts';
import { createLogger, type Logger } from '../../../logger.ts';
import { tableHealthCheck } from '../dynamodb/health.ts';
import { DynamoRunStore } from '../dynamodb/run-store.ts';
import { DynamoTable } from '../dynamodb/table-client.ts';

export interface AwsBase {
  config: Config;
  logger: Logger;
  table: DynamoTable;
  version: string;
}

export function awsBase(env: NodeJS.ProcessEnv = process.env): AwsBase {
  const config = readConfig(env);
  return {
    config,
    logger: createLogger(),
    table: new DynamoTable({ tableName: config.tableName, endpoint: config.dynamodbEndpoint, region: config.region }),
    version: VERSION,
  };
}

export function awsHealthChecks(base: AwsBase): Record<string, () => Promise<void>> {
  return { dynamodb: tableHealthCheck(base.table) };
}

export function awsRunLifecycle(base: AwsBase): { store: DynamoRunStore; lifecycle: RunLifecycle } {
  const store = new DynamoRunStore(base.table);
  return { store, lifecycle: new RunLifecycle(store) };
}
