// The RunOrchestrator of local mode: the very state machine definition AWS runs, executed in-process by
// aws-local-stepfunctions on the same input document. Each Lambda Task calls the same run-state handler the
// Lambda function runs; the container Task hands the run's container to the local runner and answers the way
// ECS's .sync integration does (the stopped task on success; States.TaskFailed with the task as Cause on a
// non-zero exit), which the run-state handler reads back as it reads ECS's. The interpreter abandons a Task on
// abort or timeout without stopping it, so stopping and timing out the container is the runner's own job.
import { StateMachine } from 'aws-local-stepfunctions';
import type { ExecutionRequest, RunOrchestrator, StopOptions } from '../../core/ports.ts';
import { exitError, type RunLifecycle } from '../../core/run-lifecycle.ts';
import { runRef, TASK_INDEX_VARIABLE, type Run, type RunRef } from '../../core/run-model.ts';
import type { Logger } from '../../logger.ts';
import { LOCAL_TASK_NETWORKS, toExecutionInput } from '../../orchestration/execution-input.ts';
import { LOCAL_CONTEXT } from '../../orchestration/state-machine/definition.ts';
import type { RunStateHandler } from '../../orchestration/run-state.ts';
import { ALREADY_SETTLED, ATTEMPT_FAILED, asStep, namedError } from '../../orchestration/step-results.ts';
import type { TaskSize } from '../../core/admission.ts';
import type { LocalAdmission, Slot } from './local-admission.ts';
import { taskIndexOfUnit, taskUnit, type ContainerExit, type ContainerRunner } from './container-runner.ts';
import { OUT_OF_MEMORY } from './container-launcher.ts';

type States = Record<
  string,
  { Retry?: unknown; ItemProcessor?: { States: States }; Branches?: Array<{ States: States }> }
>;

/** The names of every state with a Retry, in Maps and Parallels too. */
function statesWithRetry(states: States): string[] {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Retry ? [name] : []),
    ...(state.ItemProcessor ? statesWithRetry(state.ItemProcessor.States) : []),
    ...(state.Branches ?? []).flatMap((branch) => statesWithRetry(branch.States)),
  ]);
}

/** How often the write that a run started is tried again (about a minute in all) before it is given up. */
const START_WRITE_RETRIES = 15;

/** How long each step of a shutdown may wait for the runs; what is left is taken back at the next start. */
const SHUTDOWN_STEP_MS = 5_000;

async function within(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
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

/** The part of the container Task's parameters (an ECS RunTask request) the local runner reads. */
interface RunTaskParameters {
  Overrides: { ContainerOverrides: Array<{ Command: string[]; Environment: Array<{ Name: string; Value: string }> }> };
}

/** A task's end, read off how its container ended, when no execution is left to decide (after a restart). */
export function recoveredEnd(end: ContainerExit, context: string): { exit_code: number | null; error: string | null } {
  if (end.exit_code === 0) return { exit_code: 0, error: null };
  const why =
    end.exit_code === null
      ? (end.error ?? 'its process ended without an exit status')
      : exitError(end.exit_code, end.error === OUT_OF_MEMORY);
  return { exit_code: end.exit_code, error: `${why} ${context}` };
}

export interface LocalOrchestratorOptions {
  definition: object;
  runner: ContainerRunner;
  runState: RunStateHandler;
  lifecycle: RunLifecycle;
  logger: Logger;
  /** Compresses every Retry's backoff (tests: attempts, and writes the store refuses); the definition's otherwise. */
  retryIntervalMs?: number;
  /**
   * What an attempt is given from the project's secrets, read as it starts: its variables' values, the values its
   * output is masked with, and the registry login of its image. Throws, naming the secret, when one cannot be used.
   */
  secrets?: (run: RunRef, container: ExecutionRequest['container']) => Promise<AttemptSecrets>;
  /** What each attempt waits for before it starts: room under every limit over it (none: it starts at once). */
  admission?: LocalAdmission;
}

export interface AttemptSecrets {
  values: Record<string, string>;
  masks: string[];
  login: { username: string; password: string } | null;
}

const NO_SECRETS: AttemptSecrets = { values: {}, masks: [], login: null };

export class LocalOrchestrator implements RunOrchestrator {
  readonly runner: ContainerRunner['kind'];
  readonly #machine: StateMachine;
  readonly #options: LocalOrchestratorOptions;
  readonly #executions = new Map<string, { abort: () => void; run: RunRef }>();
  /** Runs re-attached after a restart: no execution of theirs survives, the watcher settles them. */
  readonly #attached = new Map<string, { run: RunRef; watch: Promise<void> }>();
  /** Each task's container in flight (by taskUnit), resolved once its end is recorded. */
  readonly #containers = new Map<string, Promise<unknown>>();
  /** Runs stopped from outside their execution (cancel, timeout, shutdown): their tasks' exit status is recorded apart. */
  readonly #stopped = new Set<string>();
  /** How each task's last container ended, by run, while its execution lives: what a failed execution settles from. */
  readonly #exits = new Map<string, Map<number, ContainerExit>>();
  /** Each admitted task's slot (by taskUnit), given back once its end is written, or once its execution has ended. */
  readonly #slots = new Map<string, Slot>();
  #shuttingDown = false;
  readonly #retryOverrides: Record<string, number> | undefined;

  constructor(options: LocalOrchestratorOptions) {
    this.#options = options;
    this.runner = options.runner.kind;
    this.#machine = new StateMachine(options.definition as never, { validationOptions: { checkArn: false } });
    const retrying = statesWithRetry((options.definition as { States: States }).States);
    if (options.retryIntervalMs !== undefined)
      this.#retryOverrides = Object.fromEntries(retrying.map((name) => [name, options.retryIntervalMs!]));
  }

  executionId(runId: string): string {
    return runId;
  }

  async start(request: ExecutionRequest): Promise<void> {
    const name = request.run.run_id;
    // lambda:invoke answers {Payload: <the function's result>}; the run-state tasks select from that.
    const lambda = async (parameters: { Payload: Parameters<RunStateHandler>[0] }) => ({
      Payload: await this.#options.runState(parameters.Payload),
    });
    const several = request.tasks.count > 1;
    const handlers = observed({
      // An attempt waits for admission before it is counted; whatever ends it before its container gives the slot back.
      StartAttempt: async (parameters: { Payload: Parameters<RunStateHandler>[0] }) => {
        const index = 'task' in parameters.Payload ? (parameters.Payload.task?.index ?? 0) : 0;
        await this.#admit(request, index);
        try {
          // What the task token would carry in AWS: the function's own answer.
          return await this.#options.runState(parameters.Payload);
        } catch (error) {
          this.#release(taskUnit(name, index));
          throw error;
        }
      },
      // Only ECS refuses launches; a local runner's refusal is the attempt's end. Kept for the definition's sake.
      Relaunch: (parameters: { Payload: Parameters<RunStateHandler>[0] }) => this.#options.runState(parameters.Payload),
      // A slot is given back once what ended is written, so no read ever shows more running than the limits allow:
      // a task's between its attempts and when it ends (a run of several), its run's once the run has settled.
      EndAttempt: this.#releasing(lambda, request, several ? 'task' : 'task-to-retry'),
      TaskTimedOut: this.#releasing(lambda, request, several ? 'task' : 'none'),
      TaskFailed: this.#releasing(lambda, request, several ? 'task' : 'none'),
      Finish: this.#releasing(lambda, request, 'run'),
      MarkFailed: this.#releasing(lambda, request, 'run'),
      RunContainer: (parameters: RunTaskParameters) => this.#runContainer(request, parameters),
    });
    const execution = this.#machine.run(toExecutionInput(request, LOCAL_TASK_NETWORKS) as never, {
      noThrowOnAbort: true,
      context: LOCAL_CONTEXT,
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(this.#retryOverrides ? { retryIntervalOverrides: this.#retryOverrides } : {}),
      },
    });
    this.#executions.set(name, { abort: execution.abort, run: request.run });
    execution.result
      .catch(async (error: Error) => {
        // What AWS's reconciler does for a FAILED execution: the run must not stay active.
        this.#options.logger.error('run execution failed', { run_id: name, job_id: request.run.job_id, error });
        await this.#settleAfterFailure(
          request,
          `the execution failed: ${(error.cause as Error | undefined)?.message ?? error.message}`,
        );
      })
      .finally(async () => {
        this.#executions.delete(name);
        this.#exits.delete(name);
        // A stopped run's containers may still be ending: their exit status is recorded as stopped until they have.
        await Promise.all(
          [...this.#containers]
            .filter(([unit]) => taskIndexOfUnit(unit, name) !== null)
            .map(([, ended]) => ended.catch(() => undefined)),
        );
        if (!this.#attached.has(name) && !this.#executions.has(name)) this.#stopped.delete(name);
        // Whatever slots the execution still held (it was stopped, or failed) are free once its containers ended.
        this.#releaseRun(name);
      });
  }

  /**
   * A run-state handler that gives back, once it has written what ended, its task's slot ('task'; 'task-to-retry':
   * only when the attempt is to be tried again) or every slot of its run ('run').
   */
  #releasing(
    handler: (parameters: { Payload: Parameters<RunStateHandler>[0] }) => Promise<{ Payload: Record<string, unknown> }>,
    request: ExecutionRequest,
    which: 'run' | 'task' | 'task-to-retry' | 'none',
  ) {
    const runId = request.run.run_id;
    const task = (event: Parameters<RunStateHandler>[0]) =>
      taskUnit(runId, 'task' in event ? (event.task?.index ?? 0) : 0);
    return async (parameters: { Payload: Parameters<RunStateHandler>[0] }) => {
      try {
        const answer = await handler(parameters);
        if (which === 'run') this.#releaseRun(runId);
        else if (which === 'task') this.#release(task(parameters.Payload));
        return answer;
      } catch (error) {
        if ((error as Error).name === ATTEMPT_FAILED && which !== 'run') this.#release(task(parameters.Payload));
        throw error;
      }
    };
  }

  #releaseRun(runId: string): void {
    for (const unit of [...this.#slots.keys()]) if (taskIndexOfUnit(unit, runId) !== null) this.#release(unit);
  }

  /** Waits until admission gives the task a slot; a run stopped meanwhile has nothing more to run. */
  async #admit(request: ExecutionRequest, index: number): Promise<void> {
    const { admission } = this.#options;
    if (!admission) return;
    const { run, container } = request;
    const slot = await asStep(() =>
      admission.acquire({
        run_id: run.run_id,
        index,
        workspace_id: run.workspace_id,
        project_id: run.project_id,
        priority: request.priority,
        created: Date.parse(request.created_at),
        queue_timeout_seconds: request.queue_timeout_seconds,
        cpu: container.cpu,
        memory_mb: container.memory_mb,
      }),
    );
    if (!this.#executions.has(run.run_id) || this.#stopped.has(run.run_id)) {
      slot.release();
      throw namedError(ALREADY_SETTLED, `run ${run.run_id} stopped while it waited to start`);
    }
    this.#slots.set(taskUnit(run.run_id, index), slot);
  }

  #release(unit: string): void {
    this.#slots.get(unit)?.release();
    this.#slots.delete(unit);
  }

  /** One task's attempt, from the very ECS request the definition builds: its command, and its environment (which says which task and attempt it is). */
  async #runContainer(request: ExecutionRequest, parameters: RunTaskParameters): Promise<Record<string, unknown>> {
    const { run, container: spec } = request;
    const override = parameters.Overrides.ContainerOverrides[0]!;
    const env = Object.fromEntries(override.Environment.map(({ Name, Value }) => [Name, Value]));
    const index = Number(env[TASK_INDEX_VARIABLE] ?? 0);
    const attempt = Number(env.JOBS_ATTEMPT ?? 1);
    const unit = taskUnit(run.run_id, index);
    const secrets = this.#options.secrets?.(run, spec) ?? Promise.resolve(NO_SECRETS);
    const container = secrets.then(
      (given) => this.#startContainer(request, parameters, index, attempt, env, given),
      (error: Error): ContainerExit => ({
        exit_code: null,
        timed_out: false,
        error: `the container was not started: ${error.message}`,
        task: null,
      }),
    );
    const recorded = container.then((exit) => this.#recordStoppedExit(run, index, exit));
    this.#containers.set(unit, recorded);
    const exit = await container;
    this.#exits.set(run.run_id, (this.#exits.get(run.run_id) ?? new Map()).set(index, exit));
    await recorded.finally(() => this.#containers.delete(unit));
    if (exit.timed_out) throw namedError('States.Timeout', 'the container ran past the timeout');
    const task = stoppedTask(exit);
    if (exit.exit_code === 0) return task;
    throw namedError('States.TaskFailed', JSON.stringify(task));
  }

  #startContainer(
    request: ExecutionRequest,
    parameters: RunTaskParameters,
    index: number,
    attempt: number,
    env: Record<string, string>,
    secrets: AttemptSecrets,
  ): Promise<ContainerExit> {
    const { run, container: spec } = request;
    const override = parameters.Overrides.ContainerOverrides[0]!;
    // Stopped while its secrets were read: it never starts.
    if (this.#stopped.has(run.run_id))
      return Promise.resolve({ exit_code: null, timed_out: false, error: 'stopped before it started', task: null });
    return this.#options.runner.run(
      {
        run_id: run.run_id,
        job_id: run.job_id,
        workspace_id: run.workspace_id,
        project_id: run.project_id,
        task_index: index,
        task_count: request.tasks.count,
        attempt,
        image: spec.image,
        command: override.Command,
        env,
        secrets: secrets.values,
        masks: secrets.masks,
        registry_credentials: spec.registry_credentials,
        registry_login: secrets.login,
        network: spec.network,
        cpu: spec.cpu,
        memory_mb: spec.memory_mb,
        timeout_seconds: request.timeout_seconds,
      },
      async (task) => {
        // Retried while the store refuses (a full disk, the engine restarting), with the time it really started.
        const at = new Date();
        for (let attempt = 0; ; attempt++) {
          try {
            await this.#options.lifecycle.markRunning(run, task, at, index);
            return;
          } catch (error) {
            if (attempt >= START_WRITE_RETRIES || this.#shuttingDown) throw error;
            await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** attempt)));
          }
        }
      },
    );
  }

  /**
   * A container stopped from outside its execution (cancelled, timed out, the service stopping) leaves no
   * EndAttempt to record how it ended: its exit status is recorded on its task here, as ECS's stopped event does.
   */
  async #recordStoppedExit(ref: RunRef, index: number, exit: ContainerExit): Promise<void> {
    if (!(exit.timed_out || this.#stopped.has(ref.run_id)) || exit.task === null || exit.exit_code === null) return;
    await this.#options.lifecycle.containerExited(ref, exit.task, exit.exit_code, index).catch((error: Error) => {
      this.#options.logger.warn('could not record the exit status of a stopped run', {
        run_id: ref.run_id,
        task_index: index,
        error,
      });
    });
  }

  /**
   * Settles a run its execution could not settle (its writes kept failing past the state machine's retries: a
   * full disk, the engine down), from how its tasks' containers ended where every one is known. Tried again,
   * further and further apart, until the store takes it: a run never stays active with nothing running. If the
   * service stops first, its next start takes the run back from the exit status its process left on disk.
   */
  async #settleAfterFailure(request: ExecutionRequest, why: string): Promise<void> {
    const { lifecycle, logger } = this.#options;
    const ref = request.run;
    const context = '(settled after its execution failed)';
    for (let attempt = 0; !this.#shuttingDown; attempt++) {
      try {
        const exits = this.#exits.get(ref.run_id);
        if (exits && exits.size === request.tasks.count) {
          for (const [index, exit] of exits) {
            if (exit.timed_out) await lifecycle.taskFailed(ref, index, 'timed out');
            else await lifecycle.endTask(ref, index, recoveredEnd(exit, context));
          }
          await lifecycle.finish(ref);
        } else {
          await lifecycle.failed(ref, why);
        }
        return;
      } catch (error) {
        if (attempt === 0)
          logger.warn('could not settle a run whose execution failed; trying again until it is', {
            run_id: ref.run_id,
            error: error as Error,
          });
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** attempt)).unref());
      }
    }
  }

  async stop(run: Run, options: StopOptions): Promise<void> {
    this.#stopped.add(run.id);
    await this.#options.runner.stop(run.id, options.mode, options.graceSeconds);
    this.#executions.get(run.id)?.abort();
    this.#options.admission?.withdraw(run.id, 'the run was stopped while it waited to start');
  }

  async isRunning(executionId: string): Promise<boolean> {
    return this.#executions.has(executionId) || this.#attached.has(executionId);
  }

  /**
   * Takes charge of a run whose tasks a previous service process left running. Its execution is gone, so retries
   * cannot resume and no task starts: each task's end is recorded, the run settles once they have all ended, and
   * its remaining time is still enforced.
   */
  attach(
    run: Run,
    tasks: Array<{ index: number; exit: Promise<ContainerExit> }>,
    timeoutSeconds: number,
    size?: TaskSize,
  ): void {
    const ref = runRef(run);
    const elapsed = run.started_at ? Date.now() - Date.parse(run.started_at) : 0;
    const left = Math.max(0, timeoutSeconds * 1000 - elapsed);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void this.#options.runner.stop(run.id, 'force', 0);
    }, left);
    const { lifecycle } = this.#options;
    // Its tasks hold their slots until the run has settled, so nothing waiting starts past the limits meanwhile.
    const slots = tasks.map(
      ({ index }) => size && this.#options.admission?.hold({ ...runRef(run), run_id: run.id, index, ...size }),
    );
    const ended = tasks.map(async ({ index, exit }) => {
      const end = await exit;
      // A run stopped by cancel or by the service stopping is settled by whoever stopped it: only its exit counts.
      if (this.#shuttingDown || this.#stopped.has(run.id)) {
        if (end.task !== null && end.exit_code !== null)
          await lifecycle.containerExited(ref, end.task, end.exit_code, index);
        return;
      }
      if (timedOut) {
        if (end.task !== null && end.exit_code !== null)
          await lifecycle.containerExited(ref, end.task, end.exit_code, index);
        await lifecycle.taskTimedOut(ref, index);
      } else {
        await lifecycle.endTask(
          ref,
          index,
          recoveredEnd(end, '(re-attached after a restart of the service; no retries)'),
        );
      }
    });
    const watch = Promise.all(ended)
      .then(async () => {
        clearTimeout(timer);
        if (!this.#shuttingDown && !this.#stopped.has(run.id)) await lifecycle.finish(ref);
      })
      .catch((error: Error) =>
        this.#options.logger.error('could not settle a re-attached run', { run_id: run.id, error }),
      )
      .finally(() => {
        clearTimeout(timer);
        for (const slot of slots) slot?.release();
        this.#attached.delete(run.id);
        this.#stopped.delete(run.id);
      });
    this.#attached.set(run.id, { run: ref, watch });
  }

  /**
   * The service is stopping: every run still in flight has its containers killed and, once their exit status is
   * recorded, is settled as failed with `reason`, so the service leaves nothing running behind it and every run
   * says why it ended.
   */
  async shutdown(reason = 'the local service stopped'): Promise<void> {
    this.#shuttingDown = true;
    const runs = [...this.#executions.values(), ...this.#attached.values()].map((entry) => entry.run);
    const watchers = [...this.#attached.values()].map((entry) => entry.watch);
    for (const ref of runs) this.#stopped.add(ref.run_id);
    for (const execution of this.#executions.values()) execution.abort();
    this.#executions.clear();
    this.#options.admission?.close(`${reason} before the run started`);
    await this.#options.runner.stopAll();
    // Bounded: a stop must end within its time whatever the runs' writes meet (a full disk, an engine gone).
    await within(SHUTDOWN_STEP_MS, Promise.all([...this.#containers.values(), ...watchers]));
    await within(
      SHUTDOWN_STEP_MS,
      Promise.all(
        runs.map((ref) =>
          this.#options.lifecycle.settle(ref, 'failed', { error: `${reason} during the run` }).catch(() => null),
        ),
      ),
    );
    if (runs.length > 0) {
      this.#options.logger.info(`stopped ${runs.length} run${runs.length === 1 ? '' : 's'} in flight: ${reason}`, {
        runs: runs.map((ref) => ({
          run_id: ref.run_id,
          job_id: ref.job_id,
          workspace_id: ref.workspace_id,
          project_id: ref.project_id,
        })),
      });
    }
  }
}
