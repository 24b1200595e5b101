// TaskDefinitions on ECS: family job-<job id>, one essential container `job` on Fargate, logging to the
// container log group with the job id as stream prefix (so a run's output is under <job id>/job/<task id>),
// run with the stack's execution role and task role, and tagged with the job's ids.
import { ECSClient, RegisterTaskDefinitionCommand, type RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { UnavailableError } from '../../core/errors.ts';
import type { Job } from '../../core/jobs.ts';
import type { TaskDefinitions } from '../../core/ports.ts';
import { CONTAINER_NAME } from './cloudwatch-logs.ts';
import { taskFamily } from './cloudwatch-metrics.ts';

export interface EcsTaskDefinitionsConfig {
  executionRoleArn: string;
  taskRoleArn: string;
  logGroup: string;
  region: string;
}

export function taskDefinitionRequest(job: Job, config: EcsTaskDefinitionsConfig): RegisterTaskDefinitionCommandInput {
  return {
    family: taskFamily(job.id),
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: String(Math.round(job.cpu * 1024)),
    memory: String(job.memory_mb),
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
    executionRoleArn: config.executionRoleArn,
    taskRoleArn: config.taskRoleArn,
    containerDefinitions: [
      {
        name: CONTAINER_NAME,
        image: job.image,
        essential: true,
        // What a graceful stop allows between SIGTERM and SIGKILL (Fargate's maximum).
        stopTimeout: 120,
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': config.logGroup, 'awslogs-region': config.region, 'awslogs-stream-prefix': job.id },
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
  readonly #client: ECSClient;

  constructor(config: EcsTaskDefinitionsConfig, client: ECSClient = new ECSClient({})) {
    this.#config = config;
    this.#client = client;
  }

  async register(job: Job): Promise<void> {
    try {
      await this.#client.send(new RegisterTaskDefinitionCommand(taskDefinitionRequest(job, this.#config)));
    } catch (error) {
      if (/Throttl|ServerException|TimeoutError/.test((error as Error).name)) throw new UnavailableError('ECS', { cause: error });
      throw error;
    }
  }
}
