// The life of a run as its execution drives it: each step of the run's execution (and the backend events that
// report a container's start and end) calls one of these. A run is split into tasks (one unless the job says
// more); each task's attempts move the task, and its run's task counts in the same write. Every write is
// conditional on the run's current status, so a finished run never changes and two writers can never both settle
// a run. Each status change of the run (and each retry) writes its event in the same write: this is the one place
// run events come from.
import type { AuditEntry } from './audit.ts';
import { ConflictError, RunAlreadySettledError } from './errors.ts';
import { runEvent, settledEventType, type RunEventType, type ServiceEvent } from './events.ts';
import {
  durationMs,
  endedWith,
  isActive,
  settledTasks,
  singleTask,
  unstartedTask,
  type Run,
  type RunRef,
  type RunStatus,
  type RunTask,
  type RunUsage,
  runRef,
} from './run-model.ts';
import type { OutcomeWrite, RunStore, TaskTransition, UsageSource } from './ports.ts';
import { outcomeAlerts, SERVICE_ACTOR } from './alerts.ts';
import { watchesStreak } from './alert-rules.ts';
import { isOutcome } from './health.ts';
import { revisionsKept, specOf, type JobRevision } from './revisions.ts';
import type { RunSignals } from './run-signals.ts';
import { fullImageName } from './images.ts';
import type { OutputFound } from './run-output.ts';
import { retryDecision, type RetryRule } from './job-spec.ts';

/** How an attempt's container ended, as the domain sees it (the orchestration layer reads it off the backend). */
export type AttemptOutcome =
  | { ended: 'exited'; exit_code: number /** Killed for going over its memory limit. */; out_of_memory?: boolean }
  | { ended: 'not-started'; reason: string }
  /** Its image could not be pulled: retrying cannot help, so the run fails at once. */
  | { ended: 'not-pulled'; reason: string };

export interface AttemptEnd {
  exit_code: number | null;
  error: string | null;
}

/** Why a container that exited with `code` failed, in words a user can act on; null for success. */
export function exitError(code: number, outOfMemory = false): string | null {
  if (outOfMemory) return `out of memory: the container was killed at its memory limit (exit ${code})`;
  if (code === 0) return null;
  if (code === 127) return 'command not found (exit 127)';
  if (code === 126) return 'command cannot be executed (exit 126)';
  return `exited with code ${code}`;
}

/** An attempt's exit code and error, from how it ended (`image`: the run's, which a failed pull names). */
export function attemptEnd(outcome: AttemptOutcome, image = ''): AttemptEnd {
  if (outcome.ended === 'exited')
    return { exit_code: outcome.exit_code, error: exitError(outcome.exit_code, outcome.out_of_memory) };
  if (outcome.ended === 'not-pulled')
    return { exit_code: null, error: `image "${fullImageName(image)}" could not be pulled: ${outcome.reason}` };
  return { exit_code: null, error: `the container did not run: ${outcome.reason}` };
}

/** Where an attempt's output is read from (its log) and where a word about it is written (a line of that log). */
export interface RunOutputs {
  read(ref: RunRef, index: number, attempt: number): Promise<OutputFound | null>;
  note(ref: RunRef, index: number, attempt: number, message: string): Promise<void>;
}

export interface SettleFields {
  exit_code?: number | null;
  error?: string | null;
  usage?: RunUsage | null;
  /** A settle asked for through the API (a cancel): its audit entry, written with it. */
  audit?: (run: Run) => AuditEntry;
}

/** A settle races with other settles of its job only where the job's alerts count its failures in a row. */
const SETTLE_ATTEMPTS = 40;
/** A task's writes race with the other tasks of its run: this many tries, each after a short random pause. */
const TASK_WRITE_ATTEMPTS = 40;

/** What one step makes of a task as read: its change (none: nothing to write) and the step's answer. */
type TaskStep<T> = { write?: Omit<TaskTransition, 'run' | 'index' | 'task'>; result: T };

function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));
}

/** A task's words on its run: a run of several names the task. */
function taskWords(run: Pick<Run, 'tasks'>, index: number, words: string): string {
  return run.tasks.count > 1 ? `task ${index}: ${words}` : words;
}

export class RunLifecycle {
  readonly #store: RunStore;
  readonly #now: () => Date;
  readonly #signals: RunSignals | undefined;
  readonly #usage: UsageSource | undefined;
  readonly #outputs: RunOutputs | undefined;

  constructor(
    store: RunStore,
    options: { now?: () => Date; signals?: RunSignals; usage?: UsageSource; outputs?: RunOutputs } = {},
  ) {
    this.#store = store;
    this.#now = options.now ?? (() => new Date());
    this.#signals = options.signals;
    this.#usage = options.usage;
    this.#outputs = options.outputs;
  }

  /** What an attempt set as its output, read from its log as it ends; none where the host cannot read it. */
  async #outputOf(ref: RunRef, index: number, attempt: number): Promise<OutputFound | null> {
    if (!this.#outputs) return null;
    return this.#outputs.read(ref, index, attempt).catch(() => null);
  }

  /** Every change of a run goes through here, so reads waiting on the run hear of it; a telling one has its event. */
  async #transition(
    run: Run,
    from: RunStatus,
    changes: Partial<Run>,
    told?: RunEventType,
    audit?: AuditEntry,
    outcome?: OutcomeWrite,
  ): Promise<boolean> {
    const event = told ? runEvent(told, { ...run, ...changes }, this.#now()) : undefined;
    const changed = await this.#store.transition(run, from, changes, event, audit, outcome);
    if (changed) this.#signals?.notify(run.id);
    return changed;
  }

  async #load(ref: RunRef): Promise<Run | null> {
    return this.#store.get(ref);
  }

  async #taskOf(ref: RunRef, run: Run, index: number): Promise<RunTask | null> {
    return run.tasks.count === 1 ? singleTask(run) : this.#store.task(ref, index);
  }

  /**
   * Moves one task of an active run: `step` decides from the run and the task as read, and the change is written
   * only while both are still as read (else read again). `settled` answers for a run no longer active.
   */
  async #moveTask<T>(
    ref: RunRef,
    index: number,
    settled: () => T,
    step: (run: Run, task: RunTask) => TaskStep<T>,
  ): Promise<T> {
    for (let i = 0; i < TASK_WRITE_ATTEMPTS; i++) {
      const run = await this.#load(ref);
      if (!run || !isActive(run.status)) return settled();
      const stored = await this.#taskOf(ref, run, index);
      const { write, result } = step(run, stored ?? unstartedTask(index));
      if (!write) return result;
      const changed = await this.#store.transitionTask({
        run,
        index,
        task: run.tasks.count === 1 ? null : stored,
        ...write,
      });
      if (changed) {
        this.#signals?.notify(run.id);
        return result;
      }
      await pause(i);
    }
    throw new ConflictError(`run ${ref.run_id} task ${index} changed concurrently`);
  }

  /** A run's event after a task's change, with what that change does to the run. */
  #runEvent(type: RunEventType, run: Run, runChanges: Partial<Run>, counts: TaskTransition['counts']): ServiceEvent {
    const tasks = { ...run.tasks };
    for (const [status, by] of Object.entries(counts)) tasks[status as RunStatus] += by ?? 0;
    return runEvent(type, { ...run, ...runChanges, tasks }, this.#now());
  }

  /** First state of every attempt of a task: counts it. A settled run (or task) gets RunAlreadySettledError. */
  async startAttempt(ref: RunRef, index = 0): Promise<{ attempt: number }> {
    const settled = () => {
      throw new RunAlreadySettledError(`run ${ref.run_id} is already settled`);
    };
    return this.#moveTask(ref, index, settled, (run, task) => {
      if (!isActive(task.status)) return settled();
      const attempt = task.attempt + 1;
      // A new attempt has no exit status yet; a run of one shows its task's, once it is known.
      const runChanges: Partial<Run> =
        run.tasks.count === 1 ? { attempt, exit_code: null } : attempt > run.attempt ? { attempt } : {};
      return { write: { changes: { attempt, exit_code: null }, runChanges, counts: {} }, result: { attempt } };
    });
  }

  /** A task's container really started (the spawn locally, the ECS task's RUNNING event in AWS). */
  async markRunning(ref: RunRef, task: string, at: Date = this.#now(), index = 0): Promise<boolean> {
    return this.#moveTask(
      ref,
      index,
      () => false,
      (run, current) => {
        if (!isActive(current.status)) return { result: false };
        const starting = current.status === 'pending';
        const counts: TaskTransition['counts'] = starting ? { pending: -1, running: 1 } : {};
        const changes: Partial<RunTask> = starting
          ? { status: 'running', started_at: at.toISOString(), task }
          : { task };
        const runChanges: Partial<Run> = {};
        // A run of several shows its first task's container; each task's own is in its record.
        if (run.tasks.count === 1 || run.backend.task === null) runChanges.backend = { ...run.backend, task };
        if (run.status === 'pending') Object.assign(runChanges, { status: 'running', started_at: at.toISOString() });
        const event = run.status === 'pending' ? this.#runEvent('run.started', run, runChanges, counts) : undefined;
        return { write: { changes, runChanges, counts, ...(event ? { event } : {}) }, result: true };
      },
    );
  }

  /** A task ends for good: its record, and its run's counts (a run of one carries its fields). */
  #finishTask(
    run: Run,
    task: RunTask,
    status: 'succeeded' | 'failed',
    fields: { exit_code?: number | null; error: string | null; output?: OutputFound | null },
  ): TaskStep<void>['write'] {
    const changes: Partial<RunTask> = { status, finished_at: this.#now().toISOString(), error: fields.error };
    if (fields.exit_code !== undefined) changes.exit_code = fields.exit_code;
    if (fields.output && 'value' in fields.output) changes.output = fields.output.value;
    const runChanges: Partial<Run> =
      run.tasks.count === 1
        ? {
            error: fields.error,
            ...(fields.exit_code !== undefined ? { exit_code: fields.exit_code } : {}),
            ...(changes.output !== undefined ? { output: changes.output } : {}),
          }
        : {};
    return { changes, runChanges, counts: { [task.status]: -1, [status]: 1 } };
  }

  /**
   * Last state of every attempt of a task: success ends the task; a failure with attempts left is recorded and
   * answered 'retry' (the state machine's Retry then runs the attempt again after its backoff); otherwise the task
   * fails. The run settles once all its tasks have ended (`finish`).
   */
  async endAttempt(
    ref: RunRef,
    attempt: number,
    retries: number,
    outcome: AttemptOutcome,
    rules: readonly RetryRule[] = [],
    index = 0,
  ): Promise<{ outcome: 'done' | 'retry'; end: AttemptEnd }> {
    type Answer = { outcome: 'done' | 'retry'; end: AttemptEnd };
    // Read before the write: the attempt has ended, its lines are stored (locally) or on their way (AWS).
    const output = outcome.ended === 'exited' ? await this.#outputOf(ref, index, attempt) : null;
    if (output && 'invalid' in output)
      await this.#outputs?.note(ref, index, attempt, output.invalid).catch(() => undefined);
    return this.#moveTask<Answer>(
      ref,
      index,
      () => ({ outcome: 'done', end: attemptEnd(outcome) }),
      (run, task) => {
        // A failed pull names the run's image.
        const end = attemptEnd(outcome, run.image);
        const done: Answer = { outcome: 'done', end };
        if (!isActive(task.status)) return { result: done };
        if (outcome.ended === 'not-pulled') return { write: this.#finishTask(run, task, 'failed', end), result: done };
        if (end.exit_code === 0)
          return {
            write: this.#finishTask(run, task, 'succeeded', { exit_code: 0, error: null, output }),
            result: done,
          };
        // A rule that fails this exit code ends the task now, whatever retries are left.
        const ruled = end.exit_code === null ? null : retryDecision(rules, end.exit_code);
        if (ruled === 'fail') {
          const error = `${end.error} (a retry rule fails exit code ${end.exit_code} without retrying; attempt ${attempt} of ${retries + 1})`;
          return {
            write: this.#finishTask(run, task, 'failed', { exit_code: end.exit_code, error, output }),
            result: done,
          };
        }
        if (attempt <= retries) {
          const error = `attempt ${attempt} of ${retries + 1} ${end.error}; retrying`;
          const runChanges: Partial<Run> = run.tasks.count === 1 ? { exit_code: end.exit_code, error } : {};
          const event = this.#runEvent(
            'run.retrying',
            run,
            run.tasks.count === 1 ? runChanges : { error: taskWords(run, index, error) },
            {},
          );
          return {
            write: { changes: { exit_code: end.exit_code, error }, runChanges, counts: {}, event },
            result: { outcome: 'retry', end },
          };
        }
        const error = retries > 0 ? `${end.error} (attempt ${attempt} of ${retries + 1})` : end.error;
        return {
          write: this.#finishTask(run, task, 'failed', { exit_code: end.exit_code, error, output }),
          result: done,
        };
      },
    );
  }

  /** A task ends with what is known of it, outside its attempts' steps (a task re-attached after a restart). */
  async endTask(ref: RunRef, index: number, end: AttemptEnd): Promise<void> {
    await this.#moveTask(
      ref,
      index,
      () => undefined,
      (run, task) =>
        isActive(task.status)
          ? { write: this.#finishTask(run, task, end.exit_code === 0 ? 'succeeded' : 'failed', end), result: undefined }
          : { result: undefined },
    );
  }

  /** A task's attempt ran past its timeout; its exit status is kept if its container has already ended, or comes later. */
  async taskTimedOut(ref: RunRef, index = 0): Promise<void> {
    await this.taskFailed(ref, index, 'timed out');
  }

  /** A task's iteration failed for a reason of its own (not its container's exit). */
  async taskFailed(ref: RunRef, index: number, why: string): Promise<void> {
    await this.#moveTask(
      ref,
      index,
      () => undefined,
      (run, task) =>
        isActive(task.status)
          ? { write: this.#finishTask(run, task, 'failed', { error: why }), result: undefined }
          : { result: undefined },
    );
  }

  /**
   * Every task has ended: the run settles, succeeded when all of them succeeded, failed otherwise with the exit
   * status and error of the task that failed first.
   */
  async finish(ref: RunRef): Promise<Run | null> {
    const run = await this.#load(ref);
    if (!run || !isActive(run.status)) return null;
    const { count, succeeded, failed } = run.tasks;
    if (succeeded === count) return this.settle(ref, 'succeeded', { exit_code: 0, error: null });
    // A run of one already carries its task's exit status and error: only the status is settled, so an exit
    // status its container's end records meanwhile (a timed-out task's 137) is not overwritten.
    if (count === 1)
      return this.settle(ref, 'failed', singleTask(run).error ? {} : { error: 'the task ended unfinished' });
    const first = (await this.#store.tasks(ref, 0, count - 1))
      .filter((task) => task.status === 'failed')
      .sort((a, b) => (a.finished_at ?? '').localeCompare(b.finished_at ?? '') || a.index - b.index)[0];
    const unfinished = count - succeeded - failed;
    const tally =
      unfinished > 0
        ? `${failed} of ${count} tasks failed, ${unfinished} did not finish`
        : `${failed} of ${count} tasks failed`;
    if (!first) return this.settle(ref, 'failed', { error: `${tally}` });
    return this.settle(ref, 'failed', {
      ...(first.exit_code !== null ? { exit_code: first.exit_code } : {}),
      error: `task ${first.index} ${first.error ?? 'failed'} (${tally})`,
    });
  }

  /**
   * A task's container has ended with `exitCode`. A task still active keeps it for the step that follows (a
   * timeout, say); a task (or run) already stopped without one (cancelled, timed out) gets it now. Only the task's
   * current container counts: the end of an earlier attempt's changes nothing.
   */
  async containerExited(ref: RunRef, task: string, exitCode: number, index = 0): Promise<boolean> {
    for (let i = 0; i < TASK_WRITE_ATTEMPTS; i++) {
      const run = await this.#load(ref);
      if (!run) return false;
      const current = await this.#taskOf(ref, run, index);
      if (!current || current.task !== task) return false;
      if (!isActive(run.status)) {
        if (run.tasks.count === 1) {
          const recorded = run.exit_code === null && (await this.#store.recordExitCode(ref, task, exitCode));
          if (recorded) this.#signals?.notify(run.id);
          return recorded;
        }
        // Its run was settled while it ran (cancelled, say): the task ends as its run's settle counted it.
        if (!isActive(current.status) && current.exit_code !== null) return false;
        const status = isActive(current.status) ? endedWith(run.status) : current.status;
        return this.#store.recordTaskEnd(ref, index, task, {
          status,
          exit_code: exitCode,
          finished_at: current.finished_at ?? this.#now().toISOString(),
        });
      }
      // A task that ended (timed out) while its run is still active gets its exit status all the same.
      if (!isActive(current.status) && current.exit_code !== null) return false;
      const runChanges: Partial<Run> = run.tasks.count === 1 ? { exit_code: exitCode } : {};
      const changed = await this.#store.transitionTask({
        run,
        index,
        task: run.tasks.count === 1 ? null : current,
        changes: { exit_code: exitCode },
        runChanges,
        counts: {},
      });
      if (changed) {
        this.#signals?.notify(run.id);
        return true;
      }
      await pause(i);
    }
    return false;
  }

  /** The run's execution failed for a reason of its own (not its container's exit). */
  failed(ref: RunRef, why: string): Promise<Run | null> {
    return this.settle(ref, 'failed', { error: why });
  }

  /**
   * Moves an active run to a terminal status; returns the settled run, or null when it was already settled
   * (or is gone). Retries when the run moved between read and write (pending → running, say).
   */
  async settle(
    ref: RunRef,
    status: Exclude<RunStatus, 'pending' | 'running'>,
    fields: SettleFields,
  ): Promise<Run | null> {
    for (let i = 0; i < SETTLE_ATTEMPTS; i++) {
      if (i > 0) await pause(i);
      const run = await this.#load(ref);
      if (!run || !isActive(run.status)) return null;
      const finishedAt = this.#now().toISOString();
      // Only what this settle knows is written: an exit status the container's end recorded meanwhile (a
      // timed-out run's 137, say) is not overwritten with the one read above.
      const changes: Partial<Run> = {
        status,
        finished_at: finishedAt,
        duration_ms: durationMs(run.started_at, finishedAt),
      };
      // Tasks still unfinished end with their run: cancelled with it, failed otherwise.
      const tasks = settledTasks(run.tasks, status);
      if (tasks !== run.tasks) changes.tasks = tasks;
      if (fields.exit_code !== undefined) changes.exit_code = fields.exit_code;
      if (fields.error !== undefined) changes.error = fields.error;
      // A finished run keeps what it used, where the host can tell (null otherwise).
      const usage = fields.usage !== undefined ? fields.usage : await this.#usage?.usageOf(run).catch(() => null);
      if (usage !== undefined) changes.usage = usage;
      const audit = fields.audit?.(run);
      const outcome = isOutcome(status) ? await this.#outcomeAlerts({ ...run, ...changes }, status) : undefined;
      if (await this.#transition(run, run.status, changes, settledEventType(status), audit, outcome))
        return { ...run, ...changes };
    }
    throw new ConflictError(`run ${ref.run_id} changed concurrently`);
  }

  /**
   * What a run's outcome tells by its job's alerts (job.failing, job.recovered, job.paused), decided from the job's
   * failures in a row as read now; none when no alert of the job depends on them.
   */
  async #outcomeAlerts(run: Run, status: 'succeeded' | 'failed'): Promise<OutcomeWrite | undefined> {
    const state = await this.#store.alertState(runRef(run));
    if (!state || !watchesStreak(state.job.alerts)) return undefined;
    const { job, consecutive_failures: streak } = state;
    const now = this.#now();
    const { events, pause } = outcomeAlerts(job, streak, run, status, now);
    if (!pause) return { streak, events };
    const revision: JobRevision = {
      revision: job.revision + 1,
      created_at: now.toISOString(),
      actor: SERVICE_ACTOR,
      spec: specOf({ ...job, suspended: true }),
    };
    return { streak, events, pause: { reason: pause, revision, keep: revisionsKept(job) } };
  }
}
