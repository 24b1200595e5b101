// The platform in AWS: each adapter built on first use from the settings its function was given. A function
// may build only the adapters its declaration (functions/composition/functions.ts) names, and each reads and
// checks its own settings then, with an error naming what is missing, so a function needs, and is granted,
// nothing it does not call.
import { DynamoAdmissionStore } from '../dynamodb/admission-store.ts';
import { StepFunctionsTaskTokens } from './task-tokens.ts';
import type { LaunchRate } from '../../core/ports.ts';
import {
  SETTINGS,
  FUNCTIONS,
  settingsOf,
  type FunctionName,
  type Setting,
  type Use,
} from '../../composition/functions.ts';
import { once, type Platform } from '../../composition/platform.ts';
import { createLogger } from '../../logger.ts';
import { VERSION } from '../../version.ts';
import { adminKeyHashFromSecret } from './admin-key.ts';
import { CloudWatchLogSource, CloudWatchRunNotes } from './cloudwatch-logs.ts';
import { CloudWatchMetricSource } from './cloudwatch-metrics.ts';
import { tableHealthCheck } from '../dynamodb/health.ts';
import { DynamoIdempotency } from '../dynamodb/idempotency.ts';
import { DynamoJobStore } from '../dynamodb/job-store.ts';
import { DynamoKeyStore } from '../dynamodb/key-store.ts';
import { DynamoRunStore } from '../dynamodb/run-store.ts';
import { DynamoTable } from '../dynamodb/table-client.ts';
import { DynamoWebhookStore } from '../dynamodb/webhook-store.ts';
import { DynamoSecretStore } from '../dynamodb/secret-store.ts';
import { DynamoServiceMetricsStore } from '../dynamodb/service-metrics-store.ts';
import { DynamoAuditLog } from '../dynamodb/audit-store.ts';
import { DynamoSettingsStore } from '../dynamodb/settings-store.ts';
import { SecretsManagerVault } from './secrets-manager-vault.ts';
import { DynamoDeliveryStore } from '../dynamodb/delivery-store.ts';
import { sendHttp } from '../http-send.ts';
import { resolveHost } from '../dns.ts';
import { EcsTaskDefinitions } from './ecs-task-definitions.ts';
import { EmfFigures } from './emf-figures.ts';
import { EventBridgeSink } from './eventbridge-events.ts';
import { SqsDeliveryQueue } from './sqs-delivery-queue.ts';
import { EventBridgeScheduleStore } from './scheduler.ts';
import { StepFunctionsOrchestrator } from './step-functions.ts';
import type { TaskNetworks } from '../../orchestration/execution-input.ts';

/** A setting the function cannot work without is missing, or the function uses what it did not declare. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function awsPlatform(name: FunctionName, env: NodeJS.ProcessEnv = process.env): Platform {
  const uses = new Set<Use>(FUNCTIONS[name].uses);
  const given = new Set(settingsOf([...uses]));
  const setting = (variable: Setting): string => {
    if (!given.has(variable))
      throw new ConfigError(
        `the ${name} function declares no use that needs ${variable} (functions/composition/functions.ts)`,
      );
    const value = env[variable];
    if (!value) throw new ConfigError(`environment variable ${variable} is required by the ${name} function`);
    return value;
  };
  const table = once(
    () =>
      new DynamoTable({
        tableName: setting(SETTINGS.table),
        endpoint: env.JOBS_DYNAMODB_ENDPOINT || undefined,
        region: env.AWS_REGION,
      }),
  );
  const runStore = once(() => new DynamoRunStore(table()));
  const taskNetworks = once(() => JSON.parse(setting(SETTINGS.taskNetworks)) as TaskNetworks);
  const deliveryQueue = once(() => new SqsDeliveryQueue({ queueUrl: setting(SETTINGS.deliveryQueue) }));
  return {
    logger: createLogger(),
    version: VERSION,
    pollMs: 500,
    // Admission is kept in the table, where every function sees the same queues (composition/services.ts).
    queues: () => undefined,
    sharedAdmission: once(() => ({
      store: new DynamoAdmissionStore(table()),
      tokens: new StepFunctionsTaskTokens(),
      launch: once(() => JSON.parse(setting(SETTINGS.launchRate)) as LaunchRate),
    })),
    jobStore: once(() => new DynamoJobStore(table())),
    runStore,
    keyStore: once(() => new DynamoKeyStore(table())),
    idempotency: once(() => new DynamoIdempotency(table())),
    adminKeyHash: once(() => adminKeyHashFromSecret(setting(SETTINGS.adminKey))),
    orchestrator: once(
      () => new StepFunctionsOrchestrator({ stateMachineArn: setting(SETTINGS.stateMachine), networks: taskNetworks }),
    ),
    networkRefusal: (network) =>
      taskNetworks()[network]
        ? null
        : `this deployment offers no ${network} network (its CDK context privateNetwork names the subnets and security groups)`,
    logs: once(() => new CloudWatchLogSource({ logGroupName: setting(SETTINGS.containerLogGroup), runs: runStore() })),
    runNotes: once(
      () => new CloudWatchRunNotes({ logGroupName: setting(SETTINGS.containerLogGroup), runs: runStore() }),
    ),
    metrics: once(() => new CloudWatchMetricSource({ clusterName: setting(SETTINGS.cluster) })),
    schedules: once(
      () =>
        new EventBridgeScheduleStore({
          groupName: setting(SETTINGS.scheduleGroup),
          targetArn: setting(SETTINGS.schedulerTarget),
          roleArn: setting(SETTINGS.schedulerRole),
          deadLetterArn: setting(SETTINGS.schedulerDeadLetters),
        }),
    ),
    taskDefinitions: once(
      () =>
        new EcsTaskDefinitions({
          executionRoleArn: setting(SETTINGS.taskExecutionRole),
          taskRoleArn: setting(SETTINGS.taskRole),
          logGroup: setting(SETTINGS.containerLogGroup),
          region:
            env.AWS_REGION ||
            (() => {
              throw new ConfigError('environment variable AWS_REGION is required');
            })(),
        }),
    ),
    jobHooks: () => [],
    // A container's output stays in its log group, which expires it by the group's retention.
    runArtifacts: () => [],
    usage: () => undefined,
    signals: () => undefined,
    healthChecks: () => ({ dynamodb: tableHealthCheck(table()) }),
    eventSinks: once(() => [new EventBridgeSink({ busName: setting(SETTINGS.eventBus) })]),
    figures: once(() => new EmfFigures()),
    webhookStore: once(() => new DynamoWebhookStore(table())),
    secretStore: once(() => new DynamoSecretStore(table())),
    serviceMetricsStore: once(() => new DynamoServiceMetricsStore(table())),
    auditLog: once(() => new DynamoAuditLog(table())),
    settingsStore: once(() => new DynamoSettingsStore(table())),
    secretVault: once(() => new SecretsManagerVault({ prefix: setting(SETTINGS.secretPrefix) })),
    // Containers write to CloudWatch directly: their output is masked as it is served.
    masksOnRead: true,
    deliveryStore: once(() => new DynamoDeliveryStore(table())),
    delivery: () => ({ send: sendHttp, queue: deliveryQueue() }),
    // In AWS a webhook delivers to public https destinations only.
    destinations: () => ({ allowPrivate: false, resolve: resolveHost }),
  };
}
