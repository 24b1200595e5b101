// TaskDefinitions on ECS: family job-<job id>, one essential container `job` on Fargate, logging to the
// container log group with the job id as stream prefix (so a run's output is under <job id>/job/<task id>),
// run with the stack's execution role and task role, and tagged with the job's ids.
import type { ECSClient, RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import type { Job } from '../../core/jobs.ts';
import { parseReference } from '../../core/secrets.ts';
import type { TaskDefinitions } from '../../core/ports.ts';
import { CONTAINER_NAME, taskFamily } from '../../orchestration/ecs-names.ts';
import { LazySdk } from './lazy-sdk.ts';
import { unavailableIfTransient } from '../transient.ts';

const loadEcs = () => import('@aws-sdk/client-ecs');
type Ecs = Awaited<ReturnType<typeof loadEcs>>;

export interface EcsTaskDefinitionsConfig {
  executionRoleArn: string;
  taskRoleArn: string;
  logGroup: string;
  region: string;
}

/**
 * ECS's reference to a secret: its ARN, or one JSON key of it (`<arn>:<key>::`, the current version), which the
 * execution role reads as the task starts.
 */
export function valueFrom(text: string, locations: ReadonlyMap<string, string>): string {
  const reference = parseReference(text);
  const arn = locations.get(reference.name);
  if (!arn) throw new Error(`secret '${reference.name}' has no location`);
  return reference.key === null ? arn : `${arn}:${reference.key}::`;
}

export function taskDefinitionRequest(
  job: Job,
  config: EcsTaskDefinitionsConfig,
  secrets: ReadonlyMap<string, string> = new Map(),
): RegisterTaskDefinitionCommandInput {
  const named = Object.entries(job.secrets).sort(([a], [b]) => a.localeCompare(b));
  return {
    family: taskFamily(job.id),
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: String(Math.round(job.cpu * 1024)),
    memory: String(job.memory_mb),
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
    executionRoleArn: config.executionRoleArn,
    // The job's own role where it names one (its workspace allows it), else the stack's role with no permissions.
    taskRoleArn: job.task_role ?? config.taskRoleArn,
    containerDefinitions: [
      {
        name: CONTAINER_NAME,
        image: job.image,
        essential: true,
        // What a graceful stop allows between SIGTERM and SIGKILL (Fargate's maximum).
        stopTimeout: 120,
        ...(named.length > 0
          ? { secrets: named.map(([name, text]) => ({ name, valueFrom: valueFrom(text, secrets) })) }
          : {}),
        ...(job.registry_credentials
          ? { repositoryCredentials: { credentialsParameter: valueFrom(job.registry_credentials, secrets) } }
          : {}),
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': config.logGroup,
            'awslogs-region': config.region,
            'awslogs-stream-prefix': job.id,
          },
        },
      },
    ],
    tags: [
      { key: 'jobs:job-id', value: job.id },
      { key: 'jobs:workspace-id', value: job.workspace_id },
      { key: 'jobs:project-id', value: job.project_id },
    ],
  };
}

export class EcsTaskDefinitions implements TaskDefinitions {
  readonly #config: EcsTaskDefinitionsConfig;
  readonly #ecs: LazySdk<Ecs, ECSClient>;

  constructor(config: EcsTaskDefinitionsConfig, client?: ECSClient) {
    this.#config = config;
    this.#ecs = new LazySdk(loadEcs, (sdk) => new sdk.ECSClient({}), client);
  }

  async register(job: Job, secrets: ReadonlyMap<string, string>): Promise<void> {
    const { sdk, client } = await this.#ecs.get();
    try {
      await client.send(new sdk.RegisterTaskDefinitionCommand(taskDefinitionRequest(job, this.#config, secrets)));
    } catch (error) {
      throw unavailableIfTransient('ECS', error);
    }
  }
}
