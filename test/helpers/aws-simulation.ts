// The AWS path by simulation: the real run definition executed by the local interpreter, the real run-state
// function with the real admission dispatcher over the real table (DynamoDB Local), task tokens answered in
// memory (aws-local-stepfunctions has none), and an ECS that enforces the published quotas: a token bucket of task
// launches (burst 100, then 20 a second), ECS.ThrottlingException past it, and a share of launches refused for
// Fargate capacity (ECS.AmazonECSException). What it reports: when each task started, the runs that failed, and
// the longest wait from trigger to start. Shared by the test (test/reliability) and the bench.
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { DynamoAdmissionStore } from '../../functions/adapters/dynamodb/admission-store.ts';
import type { DynamoTable } from '../../functions/adapters/dynamodb/table-client.ts';
import type { LaunchRate } from '../../functions/core/ports.ts';
import { runRef, type Run } from '../../functions/core/run-model.ts';
import { AdmissionDispatcher, type TaskTokens } from '../../functions/orchestration/admission-dispatcher.ts';
import { toExecutionInput, type TaskNetwork } from '../../functions/orchestration/execution-input.ts';
import { runStateHandler, type RunStateEvent } from '../../functions/orchestration/run-state.ts';
import {
  LOCAL_CONTEXT,
  LOCAL_PLACEHOLDERS,
  runStateMachineDefinition,
} from '../../functions/orchestration/state-machine/definition.ts';
import { ALREADY_SETTLED, NOT_ADMITTED } from '../../functions/orchestration/step-results.ts';
import { createLogger } from '../../functions/logger.ts';
import { coreOver } from './core.ts';
import { TEST_ACTOR } from './actor.ts';

export interface SimulationOptions {
  table: DynamoTable;
  runs: number;
  /** Over how long the triggers are spread (ms). */
  triggerSpreadMs?: number;
  /** How long each task's container runs once started (ms). */
  taskMs?: number;
  /** The share of launches ECS refuses for capacity (0–1). */
  capacityFailures?: number;
  /** The deployment's launch rate, and ECS's own quota (the same numbers by default). */
  launch?: LaunchRate;
  ecs?: LaunchRate;
  /** The Retry intervals of the run-state function's steps, compressed (ms). */
  retryIntervalMs?: number;
}

export interface SimulationReport {
  /** When each task started (ms since the first trigger). */
  starts: number[];
  failed: Array<{ id: string; error: string | null }>;
  succeeded: number;
  throttled: number;
  capacityRefused: number;
  longestWaitMs: number;
  /** Tasks started per second after the burst (from the burst's end to the last start). */
  rateAfterBurst: number;
  /** When the last trigger was answered, and when the first task started (ms since the first trigger). */
  triggeredMs: number;
  firstStartMs: number;
  elapsedMs: number;
}

/** A token bucket of launches, as ECS enforces them. */
class Bucket {
  readonly rate: LaunchRate;
  #tokens: number;
  #at = Date.now();
  constructor(rate: LaunchRate) {
    this.rate = rate;
    this.#tokens = rate.burst;
  }
  take(): boolean {
    const now = Date.now();
    this.#tokens = Math.min(this.rate.burst, this.#tokens + ((now - this.#at) * this.rate.per_second) / 1000);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const NETWORK: TaskNetwork = { subnets: ['subnet-a'], security_groups: ['sg-tasks'], assign_public_ip: 'ENABLED' };

export async function simulateBurst(options: SimulationOptions): Promise<SimulationReport> {
  const launch = options.launch ?? { per_second: 20, burst: 100 };
  const ecs = new Bucket(options.ecs ?? launch);
  const core = coreOver(options.table);
  const services = core.services;
  const logger = createLogger('simulation');
  const store = new DynamoAdmissionStore(options.table);

  // Task tokens, answered in memory: each waiting StartAttempt is a promise its token settles.
  const waiting = new Map<string, { resolve: (output: object) => void; reject: (error: Error) => void }>();
  const names = { 'not-admitted': NOT_ADMITTED, settled: ALREADY_SETTLED, unavailable: 'UnavailableError' } as const;
  const tokens: TaskTokens = {
    succeed: async (token, output) => {
      const found = waiting.get(token);
      waiting.delete(token);
      found?.resolve(output);
      return found !== undefined;
    },
    fail: async (token, error, cause) => {
      const found = waiting.get(token);
      waiting.delete(token);
      found?.reject(named(names[error], cause));
      return found !== undefined;
    },
  };
  // One dispatcher per invocation, as each Lambda invocation is its own holder of a lease.
  const dispatcher = () =>
    new AdmissionDispatcher({
      store,
      tokens,
      lifecycle: services.runLifecycle(),
      runs: core.runStore,
      limits: (places) => services.settings().admissionLimits(places, null),
      launch,
      holder: randomUUID(),
      logger,
      budgetMs: 45_000,
    });
  const runState = (event: RunStateEvent) => runStateHandler(services.runLifecycle(), undefined, dispatcher())(event);

  let throttled = 0;
  let capacityRefused = 0;
  const t0 = Date.now();
  const starts: number[] = [];
  const startedAt = new Map<string, number>();
  const triggeredAt = new Map<string, number>();

  const machine = new StateMachine(runStateMachineDefinition(LOCAL_PLACEHOLDERS) as never, {
    validationOptions: { checkArn: false },
  });
  const retrying = ['Attempt', 'StartAttempt', 'Relaunch', 'EndAttempt', 'TaskFailed', 'TaskTimedOut', 'Finish'];
  // What Step Functions does for .waitForTaskToken: the function is invoked with a token of its own, and the step
  // waits until that token is answered.
  const waitForToken = async (parameters: { Payload: RunStateEvent }) => {
    const token = randomUUID();
    const answered = new Promise<object>((resolve, reject) => waiting.set(token, { resolve, reject }));
    answered.catch(() => undefined);
    await runState({ ...parameters.Payload, token } as RunStateEvent);
    return answered;
  };
  const execute = (run: Run) => {
    const request = core.orchestrator.started.find((started) => started.run.run_id === run.id)!;
    const lambda = async (parameters: { Payload: RunStateEvent }) => ({ Payload: await runState(parameters.Payload) });
    return machine.run(toExecutionInput(request, { public: NETWORK }) as never, {
      context: LOCAL_CONTEXT,
      overrides: {
        retryIntervalOverrides: Object.fromEntries(retrying.map((state) => [state, options.retryIntervalMs ?? 100])),
        taskResourceLocalHandlers: {
          // What Step Functions does for .waitForTaskToken: the function is invoked with a token of its own, and the
          // step waits until that token is answered.
          StartAttempt: waitForToken,
          Relaunch: waitForToken,
          RunContainer: async () => {
            if (!ecs.take()) {
              throttled++;
              throw named('ECS.ThrottlingException', 'Rate exceeded');
            }
            if (Math.random() < (options.capacityFailures ?? 0)) {
              capacityRefused++;
              throw named('ECS.AmazonECSException', 'Capacity is unavailable at this time (RESOURCE:FARGATE)');
            }
            const at = Date.now();
            starts.push(at - t0);
            startedAt.set(run.id, at);
            await services.runLifecycle().markRunning(runRef(run), `arn:aws:ecs:task/${run.id}`, new Date(at));
            await new Promise((resolve) => setTimeout(resolve, options.taskMs ?? 1_000));
            return { TaskArn: `arn:aws:ecs:task/${run.id}`, Containers: [{ ExitCode: 0 }] };
          },
          EndAttempt: lambda,
          TaskTimedOut: lambda,
          TaskFailed: lambda,
          Finish: lambda,
          MarkFailed: lambda,
        } as never,
      },
    }).result;
  };

  const job = await services
    .jobs()
    .create(
      { workspace_id: 'sim', project_id: 'burst' },
      { name: `burst-${randomUUID().slice(0, 6)}`, image: 'alpine', command: ['true'] },
      TEST_ACTOR,
    );
  const ref = { workspace_id: 'sim', project_id: 'burst', job_id: job.id };
  const runs: Run[] = [];
  const spread = options.triggerSpreadMs ?? 1_000;
  // Each trigger at its moment, whatever the ones before it still wait for: callers do not queue behind each other.
  const executions = Array.from({ length: options.runs }, async (_, i) => {
    await new Promise((resolve) => setTimeout(resolve, (spread * i) / options.runs));
    const run = await services.runs().trigger(ref, {});
    triggeredAt.set(run.id, Date.now());
    runs.push(run);
    return execute(run).catch((error: Error) => error);
  });
  // Every minute, as in AWS, admission decides for every queue whatever else happens.
  const tick = setInterval(
    () =>
      void dispatcher()
        .tick()
        .catch(() => undefined),
    60_000,
  );
  await Promise.all(executions);
  clearInterval(tick);

  const settled = await Promise.all(runs.map((run) => core.runStore.get(runRef(run))));
  const failed = settled
    .filter((run) => run && run.status !== 'succeeded')
    .map((run) => ({ id: run!.id, error: run!.error }));
  const waits = runs.map((run) => (startedAt.get(run.id) ?? Date.now()) - triggeredAt.get(run.id)!);
  const sorted = [...starts].sort((a, b) => a - b);
  const burst = Math.min(launch.burst, sorted.length);
  const afterBurst = sorted.slice(burst);
  const span = afterBurst.length > 1 ? (afterBurst.at(-1)! - sorted[burst - 1]!) / 1000 : 0;
  return {
    starts: sorted,
    failed,
    succeeded: settled.filter((run) => run?.status === 'succeeded').length,
    throttled,
    capacityRefused,
    longestWaitMs: Math.max(...waits),
    rateAfterBurst: span > 0 ? afterBurst.length / span : 0,
    triggeredMs: Math.max(...runs.map((run) => triggeredAt.get(run.id)!)) - t0,
    firstStartMs: sorted[0] ?? 0,
    elapsedMs: Date.now() - t0,
  };
}

/** Tasks started in each second since the first trigger. */
export function startsPerSecond(starts: number[]): number[] {
  const seconds: number[] = [];
  for (const at of starts) {
    const second = Math.floor(at / 1000);
    while (seconds.length <= second) seconds.push(0);
    seconds[second]! += 1;
  }
  return seconds;
}
