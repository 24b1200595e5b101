// Configuration from the environment, read once and validated; a missing variable fails at start-up with
// its name, not later inside a request.
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;

export interface Config {
  tableName: string;
  /** DynamoDB Local's URL in local mode and tests; unset in AWS. */
  dynamodbEndpoint: string | undefined;
  region: string | undefined;
  /** AWS: the Secrets Manager secret holding the first admin key. */
  adminKeySecretArn: string | undefined;
  /** AWS: the run state machine. */
  stateMachineArn: string | undefined;
  /** AWS: the log group the containers write to. */
  containerLogGroup: string | undefined;
  /** AWS: the ECS cluster runs are placed in (its Container Insights metrics). */
  clusterName: string | undefined;
  /** AWS: the roles a job's tasks run with. */
  taskRoles: { executionRoleArn: string; taskRoleArn: string } | undefined;
  /** AWS: where job schedules go and what they invoke. */
  scheduler: { groupName: string; targetArn: string; roleArn: string; deadLetterArn: string } | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A setting this function cannot work without, failing at cold start with the variable's name. */
export function need<T>(value: T | undefined, variable: string): T {
  if (value === undefined) throw new ConfigError(`environment variable ${variable} is required`);
  return value;
}

export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    tableName: required(env, 'JOBS_TABLE_NAME'),
    dynamodbEndpoint: env.JOBS_DYNAMODB_ENDPOINT || undefined,
    region: env.AWS_REGION || undefined,
    adminKeySecretArn: env.JOBS_ADMIN_KEY_SECRET_ARN || undefined,
    stateMachineArn: env.JOBS_STATE_MACHINE_ARN || undefined,
    containerLogGroup: env.JOBS_CONTAINER_LOG_GROUP || undefined,
    clusterName: env.JOBS_CLUSTER_NAME || undefined,
    taskRoles: env.JOBS_TASK_EXECUTION_ROLE_ARN
      ? { executionRoleArn: env.JOBS_TASK_EXECUTION_ROLE_ARN, taskRoleArn: required(env, 'JOBS_TASK_ROLE_ARN') }
      : undefined,
    scheduler: env.JOBS_SCHEDULE_GROUP
      ? {
          groupName: env.JOBS_SCHEDULE_GROUP,
          targetArn: required(env, 'JOBS_SCHEDULER_TARGET_ARN'),
          roleArn: required(env, 'JOBS_SCHEDULER_ROLE_ARN'),
          deadLetterArn: required(env, 'JOBS_SCHEDULER_DLQ_ARN'),
        }
      : undefined,
  };
}
