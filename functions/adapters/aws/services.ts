// The composition root in AWS: adapters chosen once per cold start from the environment. Each function's entry
// point takes only the parts it uses, so a function needs (and is granted) only what those parts call.
import { need, readConfig, VERSION, type Config } from '../../config.ts';
import { combineLifecycles, JobService } from '../../core/jobs.ts';
import { KeyService } from '../../core/keys.ts';
import { MetricsService } from '../../core/metrics.ts';
import { RunLifecycle } from '../../core/run-lifecycle.ts';
import { RunService } from '../../core/runs.ts';
import { scheduleLifecycle } from '../../core/schedules.ts';
import { taskDefinitionLifecycle } from '../../core/task-definitions.ts';
import { createLogger, type Logger } from '../../logger.ts';
import { adminKeyHashFromSecret } from './admin-key.ts';
import { CloudWatchLogSource } from './cloudwatch-logs.ts';
import { CloudWatchMetricSource } from './cloudwatch-metrics.ts';
import { tableHealthCheck } from './dynamodb/health.ts';
import { DynamoIdempotency } from './dynamodb/idempotency.ts';
import { EcsTaskDefinitions } from './ecs-task-definitions.ts';
import { DynamoJobStore } from './dynamodb/job-store.ts';
import { DynamoKeyStore } from './dynamodb/key-store.ts';
import { DynamoRunStore } from './dynamodb/run-store.ts';
import { DynamoTable } from './dynamodb/table-client.ts';
import { EventBridgeScheduleStore } from './scheduler.ts';
import { StepFunctionsOrchestrator } from './step-functions.ts';

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

/** Key checks, for every function that answers authenticated requests. */
export async function awsKeys(base: AwsBase): Promise<KeyService> {
  const secret = base.config.adminKeySecretArn;
  return new KeyService(new DynamoKeyStore(base.table), { bootstrapAdminHash: secret ? await adminKeyHashFromSecret(secret) : undefined });
}

export function awsHealthChecks(base: AwsBase): Record<string, () => Promise<void>> {
  return { dynamodb: tableHealthCheck(base.table) };
}

export function awsRunLifecycle(base: AwsBase): { store: DynamoRunStore; lifecycle: RunLifecycle } {
  const store = new DynamoRunStore(base.table);
  return { store, lifecycle: new RunLifecycle(store) };
}

/**
 * Jobs and runs together: a job's deletion stops and removes its runs, a run reads its job. With `manage` (the
 * function that creates, changes and deletes jobs), each job's task definition and schedule follow its spec.
 */
export function awsJobsAndRuns(base: AwsBase, options: { manage?: boolean } = {}): { jobs: JobService; runs: RunService; logs: CloudWatchLogSource } {
  const { store, lifecycle } = awsRunLifecycle(base);
  const orchestrator = new StepFunctionsOrchestrator({ stateMachineArn: need(base.config.stateMachineArn, 'JOBS_STATE_MACHINE_ARN') });
  const logs = new CloudWatchLogSource({ logGroupName: need(base.config.containerLogGroup, 'JOBS_CONTAINER_LOG_GROUP'), runs: store });
  const managed = options.manage
    ? [
        taskDefinitionLifecycle(
          new EcsTaskDefinitions({
            ...need(base.config.taskRoles, 'JOBS_TASK_EXECUTION_ROLE_ARN'),
            logGroup: need(base.config.containerLogGroup, 'JOBS_CONTAINER_LOG_GROUP'),
            region: need(base.config.region, 'AWS_REGION'),
          }),
        ),
        scheduleLifecycle(new EventBridgeScheduleStore(need(base.config.scheduler, 'JOBS_SCHEDULE_GROUP'))),
      ]
    : [];
  let runs: RunService | undefined;
  const jobs = new JobService(new DynamoJobStore(base.table), {
    // A job's task definition exists before its schedule can fire; a deleted job stops firing before its runs stop.
    lifecycle: combineLifecycles(...managed, () => (runs as RunService).lifecycle()),
  });
  runs = new RunService({ jobs, store, orchestrator, lifecycle, logs, idempotency: new DynamoIdempotency(base.table), pollMs: 500 });
  return { jobs, runs, logs };
}

/** Job metrics from Container Insights; the job is read to answer 404 for one that does not exist. */
export function awsMetrics(base: AwsBase): MetricsService {
  return new MetricsService({
    jobs: new JobService(new DynamoJobStore(base.table)),
    source: new CloudWatchMetricSource({ clusterName: need(base.config.clusterName, 'JOBS_CLUSTER_NAME') }),
  });
}
