// The composition root in local mode: the same domain services and handlers as in AWS, wired to DynamoDB
// Local and, as the product grows, to the embedded orchestrator, runner and scheduler.
import { fallbackApi } from '../../functions/api/fallback.ts';
import { jobsApi } from '../../functions/api/jobs.ts';
import { keysApi } from '../../functions/api/keys.ts';
import { systemApi } from '../../functions/api/system.ts';
import { tableHealthCheck } from '../../functions/adapters/aws/dynamodb/health.ts';
import { DynamoJobStore } from '../../functions/adapters/aws/dynamodb/job-store.ts';
import { DynamoKeyStore } from '../../functions/adapters/aws/dynamodb/key-store.ts';
import { CachedKeyStore } from '../../functions/adapters/local/cached-key-store.ts';
import type { DynamoTable } from '../../functions/adapters/aws/dynamodb/table-client.ts';
import { VERSION } from '../../functions/config.ts';
import { JobService } from '../../functions/core/jobs.ts';
import { KeyService } from '../../functions/core/keys.ts';
import type { Logger } from '../../functions/logger.ts';
import type { GroupHandlers } from './api-gateway.ts';

export interface LocalServices {
  jobs: JobService;
  keys: KeyService;
  handlers: GroupHandlers;
}

export function composeLocalServices(options: { table: DynamoTable; adminKeyHash: string; logger: Logger }): LocalServices {
  const { table, logger } = options;
  // This process is the table's only writer, so remembered keys stay exact (see CachedKeyStore).
  const keys = new KeyService(new CachedKeyStore(new DynamoKeyStore(table)), { bootstrapAdminHash: options.adminKeyHash });
  const jobs = new JobService(new DynamoJobStore(table));
  const deps = { keys, logger };
  return {
    jobs,
    keys,
    handlers: {
      system: systemApi({ ...deps, checks: { dynamodb: tableHealthCheck(table) }, version: VERSION }),
      keys: keysApi(deps),
      jobs: jobsApi({ ...deps, jobs }),
      fallback: fallbackApi(deps),
    },
  };
}
