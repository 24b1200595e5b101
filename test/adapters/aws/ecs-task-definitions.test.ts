import { ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsTaskDefinitions } from '../../../functions/adapters/aws/ecs-task-definitions.ts';
import { UnavailableError } from '../../../functions/core/errors.ts';
import { buildJob } from '../../../functions/core/jobs.ts';
import { taskDefinitionHooks } from '../../../functions/core/task-definitions.ts';

const ecs = mockClient(ECSClient);
const config = {
  executionRoleArn: 'arn:aws:iam::123456789012:role/execution',
  taskRoleArn: 'arn:aws:iam::123456789012:role/task',
  logGroup: '/jobs/containers',
  region: 'eu-west-1',
};
const definitions = new EcsTaskDefinitions(config, new ECSClient({ region: 'eu-west-1' }));
const jobId = 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA';
const job = (spec: Record<string, unknown> = {}) =>
  buildJob(
    { workspace_id: 'acme', project_id: 'etl' },
    jobId,
    {
      name: 'n',
      image: 'public.ecr.aws/docker/library/alpine:3.20',
      command: ['true'],
      cpu: 1,
      memory_mb: 2048,
      ...spec,
    },
    't',
    't',
  );

beforeEach(() => ecs.reset());

describe('EcsTaskDefinitions', () => {
  it("registers the job's family: its image, Fargate size, roles, and logs under the job id", async () => {
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { revision: 1 } });
    await definitions.register(job(), new Map());
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual([
      {
        family: `job-${jobId}`,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '1024',
        memory: '2048',
        runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
        executionRoleArn: config.executionRoleArn,
        taskRoleArn: config.taskRoleArn,
        containerDefinitions: [
          {
            name: 'job',
            image: 'public.ecr.aws/docker/library/alpine:3.20',
            essential: true,
            stopTimeout: 120,
            logConfiguration: {
              logDriver: 'awslogs',
              options: {
                'awslogs-group': '/jobs/containers',
                'awslogs-region': 'eu-west-1',
                'awslogs-stream-prefix': jobId,
              },
            },
          },
        ],
        tags: [
          { key: 'jobs:job-id', value: jobId },
          { key: 'jobs:workspace-id', value: 'acme' },
          { key: 'jobs:project-id', value: 'etl' },
        ],
      },
    ]);
  });

  it('reports throttling as unavailable', async () => {
    ecs
      .on(RegisterTaskDefinitionCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(definitions.register(job(), new Map())).rejects.toBeInstanceOf(UnavailableError);
  });

  it("names the job's secrets by ARN (one JSON key as <arn>:<key>::) and its registry login, never a value", async () => {
    ecs.on(RegisterTaskDefinitionCommand).resolves({});
    const arn = (name: string) =>
      `arn:aws:secretsmanager:eu-west-1:123456789012:secret:jobs/secrets/acme/etl/${name}-AbCdEf`;
    const locations = new Map([
      ['db-password', arn('db-password')],
      ['vendor', arn('vendor')],
      ['registry-login', arn('registry-login')],
    ]);
    await definitions.register(
      job({
        secrets: { DB_PASSWORD: 'db-password', API_TOKEN: 'vendor#token' },
        registry_credentials: 'registry-login',
      }),
      locations,
    );
    const container = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input.containerDefinitions![0]!;
    expect(container.secrets).toEqual([
      { name: 'API_TOKEN', valueFrom: `${arn('vendor')}:token::` },
      { name: 'DB_PASSWORD', valueFrom: arn('db-password') },
    ]);
    expect(container.repositoryCredentials).toEqual({ credentialsParameter: arn('registry-login') });
    expect(container.environment).toBeUndefined();
  });

  it("runs the job's tasks as its own task_role where it names one, the stack's role otherwise", async () => {
    ecs.on(RegisterTaskDefinitionCommand).resolves({});
    const role = 'arn:aws:iam::123456789012:role/jobs-tasks/etl';
    await definitions.register(job({ task_role: role }), new Map());
    await definitions.register(job(), new Map());
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input.taskRoleArn)).toEqual([
      role,
      config.taskRoleArn,
    ]);
  });

  it('registers again only when the image, cpu, memory or secrets change', async () => {
    ecs.on(RegisterTaskDefinitionCommand).resolves({});
    const hooks = taskDefinitionHooks(definitions, async () => new Map([['s', 'arn:s']]));
    const before = job();
    await hooks.updated!({ ...before, command: ['other'], env: { A: '1' }, tags: { t: 'x' } }, before);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    await hooks.updated!({ ...before, image: 'busybox:1.36' }, before);
    await hooks.updated!({ ...before, cpu: 2, memory_mb: 4096 }, before);
    await hooks.updated!({ ...before, secrets: { S: 's' } }, before);
    expect(
      ecs
        .commandCalls(RegisterTaskDefinitionCommand)
        .map((c) => [c.args[0].input.containerDefinitions?.[0]?.image, c.args[0].input.cpu]),
    ).toEqual([
      ['busybox:1.36', '1024'],
      ['public.ecr.aws/docker/library/alpine:3.20', '2048'],
      ['public.ecr.aws/docker/library/alpine:3.20', '1024'],
    ]);
  });
});
