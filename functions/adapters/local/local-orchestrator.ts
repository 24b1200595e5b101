// The RunOrchestrator of local mode: the very state machine definition AWS runs, executed in-process by
// aws-local-stepfunctions. Each Lambda Task calls the same run-state handler the Lambda function runs; the
// container Task gets the same ECS RunTask parameters and hands them to the local runner, answering the way
// ECS's .sync integration does (the stopped task on success; States.TaskFailed with the task as Cause on a
// non-zero exit). The interpreter abandons a Task on abort or timeout without stopping it, so stopping and
// timing out the container is the runner's own job.
import { StateMachine } from 'aws-local-stepfunctions';
import type { ContainerExit, ExecutionInput, RunOrchestrator, Runner, StopOptions } from '../../core/ports.ts';
import type { RunLifecycle } from '../../core/run-lifecycle.ts';
import { runRef, type Run } from '../../core/run-model.ts';
import type { Logger } from '../../logger.ts';
import type { RunStateHandler } from '../../state/run-state.ts';

interface EcsRunTaskParameters {
  StartedBy: string;
  Overrides: { ContainerOverrides: Array<{ Command: string[]; Environment: Array<{ Name: string; Value: string }> }> };
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * The interpreter abandons a Task's promise when the execution is aborted or the Task times out; if that promise
 * later rejects, nobody listens. Each handler's promise is observed here, and still awaited by the interpreter.
 */
function observed<T extends Record<string, (input: never) => Promise<unknown>>>(handlers: T): T {
  return Object.fromEntries(
    Object.entries(handlers).map(([name, handler]) => [
      name,
      (input: never) => {
        const result = handler(input);
        result.catch(() => undefined);
        return result;
      },
    ]),
  ) as T;
}

/** The stopped task as ECS describes it, as much of it as the state machine reads. */
function stoppedTask(exit: ContainerExit): Record<string, unknown> {
  return {
    TaskArn: exit.task,
    LastStatus: 'STOPPED',
    StopCode: exit.exit_code === null ? 'TaskFailedToStart' : 'EssentialContainerExited',
    StoppedReason: exit.error ?? 'Essential container in task exited',
    Containers: [{ Name: 'job', LastStatus: 'STOPPED', ExitCode: exit.exit_code ?? undefined, Reason: exit.error }],
  };
}

export interface LocalOrchestratorOptions {
  definition: object;
  runner: Runner;
  runState: RunStateHandler;
  lifecycle: RunLifecycle;
  logger: Logger;
  /** Compresses the Retry backoff between attempts (tests); the definition's backoff applies otherwise. */
  retryIntervalMs?: number;
}

export class LocalOrchestrator implements RunOrchestrator {
  readonly runner: 'docker' | 'process';
  readonly #machine: StateMachine;
  readonly #options: LocalOrchestratorOptions;
  readonly #executions = new Map<string, { abort: () => void; run: ExecutionInput['run'] }>();
  /** Runs re-attached after a restart: no execution of theirs survives, the watcher settles them. */
  readonly #attached = new Map<string, { run: ExecutionInput['run']; watch: Promise<void> }>();

  constructor(options: LocalOrchestratorOptions) {
    this.#options = options;
    this.runner = options.runner.kind;
    this.#machine = new StateMachine(options.definition as never, { validationOptions: { checkArn: false } });
  }

  executionId(runId: string): string {
    return runId;
  }

  async start(input: ExecutionInput): Promise<void> {
    const name = input.run.run_id;
    // lambda:invoke answers {Payload: <the function's result>}; the run-state tasks select from that.
    const lambda = async (parameters: { Payload: Parameters<RunStateHandler>[0] }) => ({ Payload: await this.#options.runState(parameters.Payload) });
    const handlers = observed({
      StartAttempt: lambda,
      EndAttempt: lambda,
      MarkTimedOut: lambda,
      MarkFailed: lambda,
      RunContainer: (parameters: EcsRunTaskParameters) => this.#runContainer(parameters, input),
    });
    const execution = this.#machine.run(input as never, {
      noThrowOnAbort: true,
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(this.#options.retryIntervalMs !== undefined ? { retryIntervalOverrides: { Attempt: this.#options.retryIntervalMs } } : {}),
      },
    });
    this.#executions.set(name, { abort: execution.abort, run: input.run });
    execution.result
      .catch(async (error: Error) => {
        // What AWS's reconciler does for a FAILED execution: the run must not stay active.
        this.#options.logger.error('run execution failed', { run_id: name, job_id: input.run.job_id, error });
        await this.#options.lifecycle.failed(input.run, { Error: 'States.Runtime', Cause: (error.cause as Error | undefined)?.message ?? error.message }).catch(() => undefined);
      })
      .finally(() => this.#executions.delete(name));
  }

  async #runContainer(parameters: EcsRunTaskParameters, input: ExecutionInput): Promise<Record<string, unknown>> {
    const override = parameters.Overrides.ContainerOverrides[0]!;
    const exit = await this.#options.runner.run(
      {
        run_id: parameters.StartedBy,
        job_id: input.run.job_id,
        image: input.container.image,
        command: override.Command,
        env: Object.fromEntries(override.Environment.map(({ Name, Value }) => [Name, Value])),
        cpu: input.container.cpu,
        memory_mb: input.container.memory_mb,
        timeout_seconds: input.timeout_seconds,
      },
      async (task) => {
        await this.#options.lifecycle.markRunning(input.run, task);
      },
    );
    if (exit.timed_out) throw namedError('States.Timeout', 'the container ran past the timeout');
    const task = stoppedTask(exit);
    if (exit.exit_code === 0) return task;
    throw namedError('States.TaskFailed', JSON.stringify(task));
  }

  async stop(run: Run, options: StopOptions): Promise<void> {
    await this.#options.runner.stop(run.id, options.mode, options.graceSeconds);
    this.#executions.get(run.id)?.abort();
  }

  async isRunning(executionId: string): Promise<boolean> {
    return this.#executions.has(executionId) || this.#attached.has(executionId);
  }

  /**
   * Takes charge of a run left running by a previous service process. Its execution is gone, so retries cannot
   * resume: its end settles the run, and its remaining time is still enforced.
   */
  attach(run: Run, exit: Promise<ContainerExit>, timeoutSeconds: number): void {
    const ref = runRef(run);
    const elapsed = run.started_at ? Date.now() - Date.parse(run.started_at) : 0;
    const left = Math.max(0, timeoutSeconds * 1000 - elapsed);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void this.#options.runner.stop(run.id, 'force', 0);
    }, left);
    const { lifecycle } = this.#options;
    const watch = exit
      .then(async (end) => {
        clearTimeout(timer);
        if (timedOut) await lifecycle.timedOut(ref);
        else if (end.exit_code === 0) await lifecycle.settle(ref, 'succeeded', { exit_code: 0, error: null });
        else {
          const why = end.error ?? `exited with code ${end.exit_code}`;
          await lifecycle.settle(ref, 'failed', { exit_code: end.exit_code, error: `${why} (re-attached after a restart of the service; no retries)` });
        }
      })
      .catch((error: Error) => this.#options.logger.error('could not settle a re-attached run', { run_id: run.id, error }))
      .finally(() => this.#attached.delete(run.id));
    this.#attached.set(run.id, { run: ref, watch });
  }

  /**
   * The service is stopping: every run still in flight is settled as failed and its container killed, so the
   * service leaves nothing running behind it.
   */
  async shutdown(): Promise<void> {
    const runs = [...this.#executions.values(), ...this.#attached.values()].map((entry) => entry.run);
    const watchers = [...this.#attached.values()].map((entry) => entry.watch);
    this.#executions.forEach((execution) => execution.abort());
    this.#executions.clear();
    await Promise.all(runs.map((ref) => this.#options.lifecycle.settle(ref, 'failed', { error: 'the local service stopped during the run' }).catch(() => null)));
    await this.#options.runner.stopAll();
    await Promise.all(watchers);
  }
}
