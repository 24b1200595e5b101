import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StepFunctionsOrchestrator } from '../../../functions/adapters/aws/step-functions.ts';
import { UnavailableError } from '../../../functions/core/errors.ts';
import type { ExecutionRequest } from '../../../functions/core/ports.ts';
import type { Run } from '../../../functions/core/run-model.ts';
import type { TaskNetworks } from '../../../functions/orchestration/execution-input.ts';

const sfn = mockClient(SFNClient);
const stateMachineArn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:JobsRun';
const networks: TaskNetworks = {
  public: { subnets: ['subnet-pub-a', 'subnet-pub-b'], security_groups: ['sg-tasks'], assign_public_ip: 'ENABLED' },
  private: { subnets: ['subnet-priv-a'], security_groups: ['sg-db-clients'], assign_public_ip: 'DISABLED' },
};
const orchestrator = new StepFunctionsOrchestrator({
  stateMachineArn,
  networks: () => networks,
  client: new SFNClient({ region: 'eu-west-1' }),
});
const runId = 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H';
const executionArn = `arn:aws:states:eu-west-1:123456789012:execution:JobsRun:${runId}`;
const run = { workspace_id: 'acme', project_id: 'etl', job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA', run_id: runId };
const input: ExecutionRequest = {
  run,
  timeout_seconds: 60,
  retries: 1,
  retry_rules: [{ exit_codes: [2], action: 'fail' }],
  tasks: { count: 3, parallelism: 2 },
  priority: 50,
  created_at: '2026-12-01T00:00:00.000Z',
  queue_timeout_seconds: 600,
  container: {
    image: 'alpine',
    command: ['true'],
    env: { Z: 'last', A: 'first' },
    secrets: {},
    registry_credentials: null,
    network: 'public',
    cpu: 0.25,
    memory_mb: 512,
  },
};

beforeEach(() => sfn.reset());

function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
}

describe('StepFunctionsOrchestrator', () => {
  it('names each execution by its run id', () => {
    expect(orchestrator.executionId(runId)).toBe(executionArn);
  });

  it("starts an execution named by the run id, with the state machine's input document as JSON", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });
    await orchestrator.start(input);
    const document = {
      run,
      timeout_seconds: 60,
      retries: 1,
      retry_rules: [{ exit_codes: [2], action: 'fail' }],
      task_indexes: [0, 1, 2],
      task_count: 3,
      parallelism: 2,
      container: {
        task_definition: 'job-job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA',
        image: 'alpine',
        command: ['true'],
        environment: [
          { Name: 'A', Value: 'first' },
          { Name: 'Z', Value: 'last' },
        ],
        cpu: 0.25,
        memory_mb: 512,
      },
      network: networks.public,
      // Admission orders and sizes each task by these; the wait's own timeout is a backstop past the queue timeout.
      admission: {
        priority: 50,
        created_at: '2026-12-01T00:00:00.000Z',
        queue_timeout_seconds: 600,
        wait_backstop_seconds: 1500,
        cpu: 0.25,
        memory_mb: 512,
      },
    };
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn, name: runId, input: JSON.stringify(document) },
    ]);
  });

  it("places a private job's tasks in the deployment's private subnets and security groups, without a public IP", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });
    await orchestrator.start({ ...input, container: { ...input.container, network: 'private' } });
    const sent = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
    expect(sent.network).toEqual({
      subnets: ['subnet-priv-a'],
      security_groups: ['sg-db-clients'],
      assign_public_ip: 'DISABLED',
    });
    // A deployment that names no such network starts nothing.
    await expect(orchestrator.start({ ...input, container: { ...input.container, network: 'none' } })).rejects.toThrow(
      /no none network/,
    );
  });

  it('takes a second start of the same run as done (Step Functions refuses the duplicate)', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    await expect(orchestrator.start(input)).resolves.toBeUndefined();
  });

  it('reports throttling as unavailable (503, retry)', async () => {
    sfn.on(StartExecutionCommand).rejects(throttled());
    await expect(orchestrator.start(input)).rejects.toBeInstanceOf(UnavailableError);
  });

  it("stops the run's execution with a cause", async () => {
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    await orchestrator.stop({ id: runId, backend: { runner: 'ecs', task: null, execution: executionArn } } as Run, {
      mode: 'force',
      graceSeconds: 0,
      cause: 'cancelled by request',
    });
    expect(sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { executionArn, error: 'Run.Cancelled', cause: 'cancelled by request' },
    ]);
  });

  it('ignores stopping an execution that does not exist', async () => {
    sfn.on(StopExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'nope', $metadata: {} }));
    await expect(
      orchestrator.stop({ id: runId, backend: { runner: 'ecs', task: null, execution: null } } as Run, {
        mode: 'graceful',
        graceSeconds: 30,
        cause: 'x',
      }),
    ).resolves.toBeUndefined();
    expect(sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input.executionArn).toBe(executionArn);
  });

  it('asks DescribeExecution whether an execution still runs', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn }).resolves({ status: 'RUNNING' });
    expect(await orchestrator.isRunning(executionArn)).toBe(true);
    sfn.on(DescribeExecutionCommand, { executionArn }).resolves({ status: 'FAILED' });
    expect(await orchestrator.isRunning(executionArn)).toBe(false);
    sfn
      .on(DescribeExecutionCommand, { executionArn })
      .rejects(new ExecutionDoesNotExist({ message: 'nope', $metadata: {} }));
    expect(await orchestrator.isRunning(executionArn)).toBe(false);
    sfn.on(DescribeExecutionCommand, { executionArn }).rejects(throttled());
    expect(await orchestrator.isRunning(executionArn)).toBe('unknown');
    expect(sfn.commandCalls(DescribeExecutionCommand).every((c) => c.args[0].input.executionArn === executionArn)).toBe(
      true,
    );
  });
});
