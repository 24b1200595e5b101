// The composition root in AWS: adapters chosen once per cold start from the environment.
import { readConfig, VERSION } from '../../config.ts';
import { JobService } from '../../core/jobs.ts';
import { KeyService } from '../../core/keys.ts';
import { createLogger, type Logger } from '../../logger.ts';
import { adminKeyHashFromSecret } from './admin-key.ts';
import { tableHealthCheck } from './dynamodb/health.ts';
import { DynamoJobStore } from './dynamodb/job-store.ts';
import { DynamoKeyStore } from './dynamodb/key-store.ts';
import { DynamoTable } from './dynamodb/table-client.ts';

export interface AwsServices {
  logger: Logger;
  table: DynamoTable;
  keys: KeyService;
  jobs: JobService;
  checks: Record<string, () => Promise<void>>;
  version: string;
}

export async function awsServices(env: NodeJS.ProcessEnv = process.env): Promise<AwsServices> {
  const config = readConfig(env);
  const table = new DynamoTable({ tableName: config.tableName, endpoint: config.dynamodbEndpoint, region: config.region });
  const bootstrapAdminHash = config.adminKeySecretArn ? await adminKeyHashFromSecret(config.adminKeySecretArn) : undefined;
  return {
    logger: createLogger(),
    table,
    keys: new KeyService(new DynamoKeyStore(table), { bootstrapAdminHash }),
    jobs: new JobService(new DynamoJobStore(table)),
    checks: { dynamodb: tableHealthCheck(table) },
    version: VERSION,
  };
}
