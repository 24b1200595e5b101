// The run state machine's definition itself, executed by the local interpreter with scripted Tasks: how many
// states a run enters (what Step Functions bills), and what each error name a step can raise leads to: ECS
// refusing a launch is retried without spending an attempt, a failed exit runs the attempt again, a timeout and
// any other error end the task by their own step.
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import {
  LOCAL_CONTEXT,
  LOCAL_PLACEHOLDERS,
  runStateMachineDefinition,
} from '../../functions/orchestration/state-machine/definition.ts';

type Step = { error: string; cause?: string } | 'ok';

/** Runs the definition for one task, the container step answering `container` in turn; returns what happened. */
async function execute(options: { container: Step[]; endAttempt?: Array<'done' | 'retry'>; startAttempt?: Step[] }) {
  const calls: string[] = [];
  const endPayloads: unknown[] = [];
  const relaunched: unknown[] = [];
  const asked: unknown[] = [];
  const failed: unknown[] = [];
  let starts = 0;
  const next = <T>(list: T[] | undefined, fallback: T) => (list && list.length > 0 ? list.shift()! : fallback);
  const raise = (step: { error: string; cause?: string }) => {
    const error = new Error(step.cause ?? step.error);
    error.name = step.error;
    throw error;
  };
  const lambda = (name: string) => async (input: { Payload: { action: string; error?: unknown } }) => {
    calls.push(name);
    if (name === 'TaskFailed') failed.push(input.Payload.error);
    return { Payload: {} };
  };
  const machine = new StateMachine(runStateMachineDefinition(LOCAL_PLACEHOLDERS) as never, {
    validationOptions: { checkArn: false },
  });
  const execution = machine.run(
    {
      run: { workspace_id: 'acme', project_id: 'etl', job_id: 'job_1', run_id: 'run_1' },
      timeout_seconds: 60,
      retries: 2,
      retry_rules: [],
      task_indexes: [0],
      task_count: 1,
      parallelism: 1,
      container: {
        task_definition: 'job-1',
        image: 'alpine',
        command: ['true'],
        environment: [],
        cpu: 0.25,
        memory_mb: 512,
      },
      network: { subnets: ['s'], security_groups: ['g'], assign_public_ip: 'DISABLED' },
      admission: {
        priority: 50,
        created_at: '2026-12-04T00:00:00.000Z',
        queue_timeout_seconds: 60,
        wait_backstop_seconds: 960,
        cpu: 0.25,
        memory_mb: 512,
      },
    } as never,
    {
      context: LOCAL_CONTEXT,
      overrides: {
        retryIntervalOverrides: { Attempt: 0, StartAttempt: 0, RunContainer: 0, EndAttempt: 0 },
        taskResourceLocalHandlers: {
          StartAttempt: async (input: { Payload: unknown }) => {
            calls.push('StartAttempt');
            asked.push(input.Payload);
            const step = next(options.startAttempt, 'ok');
            if (step !== 'ok') raise(step);
            // Answered as the task token answers it in AWS.
            return { attempt: ++starts, environment: [] };
          },
          Relaunch: async (input: { Payload: { attempt: number; refused: unknown } }) => {
            calls.push('Relaunch');
            relaunched.push({ attempt: input.Payload.attempt, refused: input.Payload.refused });
            return { attempt: input.Payload.attempt, environment: [] };
          },
          RunContainer: async () => {
            calls.push('RunContainer');
            const step = next(options.container, 'ok');
            if (step !== 'ok') raise(step);
            return { TaskArn: 'arn:task', Containers: [{ ExitCode: 0 }] };
          },
          EndAttempt: async (input: { Payload: { result: unknown } }) => {
            calls.push('EndAttempt');
            endPayloads.push(input.Payload.result);
            if (next(options.endAttempt, 'done') === 'retry') raise({ error: 'Run.AttemptFailed' });
            return { Payload: { outcome: 'done' } };
          },
          TaskTimedOut: lambda('TaskTimedOut'),
          TaskFailed: lambda('TaskFailed'),
          Finish: lambda('Finish'),
          MarkFailed: lambda('MarkFailed'),
        } as never,
      },
    },
  );
  const entered: string[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs) if (event.type === 'StateEntered') entered.push(event.state.name);
  })();
  await execution.result;
  await logging;
  return { calls, entered, endPayloads, failed, relaunched, asked };
}

describe('the run definition', () => {
  it('enters 6 states for a single-task run that succeeds at once (10 before admission cut them)', async () => {
    const { entered, calls, asked } = await execute({ container: ['ok'] });
    // StartAttempt hands admission the attempt's task token and what orders and sizes it.
    expect(asked[0]).toMatchObject({
      action: 'start_attempt',
      task: { index: 0, count: 1 },
      token: 'local',
      admission: { priority: 50, queue_timeout_seconds: 60, wait_backstop_seconds: 960, cpu: 0.25, memory_mb: 512 },
    });
    expect(entered).toEqual(['Tasks', 'Attempt', 'StartAttempt', 'RunContainer', 'EndAttempt', 'Finish']);
    expect(calls).toEqual(['StartAttempt', 'RunContainer', 'EndAttempt', 'Finish']);
  });

  it.each(['ECS.ThrottlingException', 'ECS.AmazonECSException', 'ECS.ServerException'])(
    'sends a launch ECS refuses with %s to Relaunch, the same attempt, and launches it again',
    async (error) => {
      const { calls, entered, relaunched } = await execute({
        container: [
          { error, cause: 'Rate exceeded' },
          { error, cause: 'RESOURCE:CPU' },
        ],
      });
      expect(calls).toEqual([
        'StartAttempt',
        'RunContainer',
        'Relaunch',
        'RunContainer',
        'Relaunch',
        'RunContainer',
        'EndAttempt',
        'Finish',
      ]);
      // Each relaunch costs two transitions, and it is the attempt StartAttempt counted.
      expect(entered).toHaveLength(6 + 4);
      expect(relaunched).toEqual([
        { attempt: 1, refused: { Error: error, Cause: 'Rate exceeded' } },
        { attempt: 1, refused: { Error: error, Cause: 'RESOURCE:CPU' } },
      ]);
    },
  );

  it('hands any other ECS error to EndAttempt once, as the attempt not started', async () => {
    const { calls, endPayloads } = await execute({
      container: [{ error: 'ECS.ClientException', cause: 'bad task definition' }],
    });
    expect(calls).toEqual(['StartAttempt', 'RunContainer', 'EndAttempt', 'Finish']);
    expect(endPayloads[0]).toMatchObject({ Error: 'ECS.ClientException' });
  });

  it('runs the attempt again from StartAttempt when EndAttempt raises Run.AttemptFailed', async () => {
    const { calls } = await execute({
      container: [{ error: 'States.TaskFailed', cause: '{"Containers":[{"ExitCode":1}]}' }, 'ok'],
      endAttempt: ['retry', 'done'],
    });
    expect(calls).toEqual([
      'StartAttempt',
      'RunContainer',
      'EndAttempt',
      'StartAttempt',
      'RunContainer',
      'EndAttempt',
      'Finish',
    ]);
  });

  it('ends a task that ran past its timeout by TaskTimedOut, not EndAttempt', async () => {
    const { calls } = await execute({ container: [{ error: 'States.Timeout' }] });
    expect(calls).toEqual(['StartAttempt', 'RunContainer', 'TaskTimedOut', 'Finish']);
  });

  it('fails a task admission never started by TaskFailed, with the reason as the cause', async () => {
    const { calls, failed } = await execute({
      container: [],
      startAttempt: [{ error: 'Run.NotAdmitted', cause: 'not started within 2 s: project acme/etl is at its limit' }],
    });
    expect(calls).toEqual(['StartAttempt', 'TaskFailed', 'Finish']);
    expect(failed[0]).toMatchObject({ Error: 'Run.NotAdmitted' });
  });

  it('stops a task whose run was settled meanwhile, and retries the run-state function when Lambda throttles', async () => {
    const settled = await execute({ container: [], startAttempt: [{ error: 'Run.AlreadySettled' }] });
    expect(settled.calls).toEqual(['StartAttempt', 'Finish']);
    const throttled = await execute({
      container: ['ok'],
      startAttempt: [{ error: 'Lambda.TooManyRequestsException' }],
    });
    expect(throttled.calls).toEqual(['StartAttempt', 'StartAttempt', 'RunContainer', 'EndAttempt', 'Finish']);
  });
});
