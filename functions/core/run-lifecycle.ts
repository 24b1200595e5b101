// The life of a run as its execution drives it: each step of the run's execution (and the backend events that
// report a container's start and end) calls one of these. Every write is conditional on the run's current status, so
// a finished run never changes and two writers can never both settle a run. Each status change (and each retry)
// writes its event in the same write: this is the one place run events come from.
import { ConflictError, RunAlreadySettledError } from './errors.ts';
import { runEvent, settledEventType, type RunEventType } from './events.ts';
import { durationMs, isActive, type Run, type RunRef, type RunStatus, type RunUsage } from './run-model.ts';
import type { RunStore, UsageSource } from './ports.ts';
import type { RunSignals } from './run-signals.ts';
import { fullImageName } from './images.ts';
import { retryDecision, type RetryRule } from './job-spec.ts';

/** How an attempt's container ended, as the domain sees it (the orchestration layer reads it off the backend). */
export type AttemptOutcome =
  | { ended: 'exited'; exit_code: number; /** Killed for going over its memory limit. */ out_of_memory?: boolean }
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
  if (outcome.ended === 'exited') return { exit_code: outcome.exit_code, error: exitError(outcome.exit_code, outcome.out_of_memory) };
  if (outcome.ended === 'not-pulled') return { exit_code: null, error: `image "${fullImageName(image)}" could not be pulled: ${outcome.reason}` };
  return { exit_code: null, error: `the container did not run: ${outcome.reason}` };
}

export interface SettleFields {
  exit_code?: number | null;
  error?: string | null;
  usage?: RunUsage | null;
}

const SETTLE_ATTEMPTS = 5;

export class RunLifecycle {
  readonly #store: RunStore;
  readonly #now: () => Date;
  readonly #signals: RunSignals | undefined;
  readonly #usage: UsageSource | undefined;

  constructor(store: RunStore, options: { now?: () => Date; signals?: RunSignals; usage?: UsageSource } = {}) {
    this.#store = store;
    this.#now = options.now ?? (() => new Date());
    this.#signals = options.signals;
    this.#usage = options.usage;
  }

  /** Every change of a run goes through here, so reads waiting on the run hear of it; a telling one has its event. */
  async #transition(run: Run, from: RunStatus, changes: Partial<Run>, told?: RunEventType): Promise<boolean> {
    const event = told ? runEvent(told, { ...run, ...changes }, this.#now()) : undefined;
    const changed = await this.#store.transition(run, from, changes, event);
    if (changed) this.#signals?.notify(run.id);
    return changed;
  }

  async #load(ref: RunRef): Promise<Run | null> {
    return this.#store.get(ref);
  }

  /** First state of every attempt: counts it. A settled run gets RunAlreadySettledError: nothing more to run. */
  async startAttempt(ref: RunRef): Promise<{ attempt: number }> {
    for (let i = 0; i < SETTLE_ATTEMPTS; i++) {
      const run = await this.#load(ref);
      if (!run || !isActive(run.status)) throw new RunAlreadySettledError(`run ${ref.run_id} is already settled`);
      const attempt = run.attempt + 1;
      // A new attempt has no exit status yet; the run's shows the latest attempt's once it is known.
      if (await this.#transition(run, run.status, { attempt, exit_code: null })) return { attempt };
    }
    throw new ConflictError(`run ${ref.run_id} changed concurrently`);
  }

  /** The container really started (the spawn locally, the ECS task's RUNNING event in AWS). */
  async markRunning(ref: RunRef, task: string, at: Date = this.#now()): Promise<boolean> {
    for (let i = 0; i < SETTLE_ATTEMPTS; i++) {
      const run = await this.#load(ref);
      if (!run || !isActive(run.status)) return false;
      const backend = { ...run.backend, task };
      const changes: Partial<Run> = run.status === 'pending' ? { status: 'running', started_at: at.toISOString(), backend } : { backend };
      if (await this.#transition(run, run.status, changes, run.status === 'pending' ? 'run.started' : undefined)) return true;
    }
    return false;
  }

  /**
   * Last state of every attempt: success settles the run; a failure with attempts left is recorded and answered
   * 'retry' (the state machine's Retry then runs the attempt again after its backoff); otherwise the run fails.
   */
  async endAttempt(ref: RunRef, attempt: number, retries: number, outcome: AttemptOutcome, rules: readonly RetryRule[] = []): Promise<{ outcome: 'done' | 'retry'; end: AttemptEnd }> {
    if (outcome.ended === 'not-pulled') {
      const end = attemptEnd(outcome, (await this.#load(ref))?.image);
      await this.settle(ref, 'failed', end);
      return { outcome: 'done', end };
    }
    const end = attemptEnd(outcome);
    if (end.exit_code === 0) {
      await this.settle(ref, 'succeeded', { exit_code: 0, error: null });
      return { outcome: 'done', end };
    }
    // A rule that fails this exit code ends the run now, whatever retries are left.
    const ruled = end.exit_code === null ? null : retryDecision(rules, end.exit_code);
    if (ruled === 'fail') {
      await this.settle(ref, 'failed', { exit_code: end.exit_code, error: `${end.error} (a retry rule fails exit code ${end.exit_code} without retrying; attempt ${attempt} of ${retries + 1})` });
      return { outcome: 'done', end };
    }
    if (attempt <= retries) {
      const run = await this.#load(ref);
      if (!run || !isActive(run.status)) return { outcome: 'done', end };
      const error = `attempt ${attempt} of ${retries + 1} ${end.error}; retrying`;
      await this.#transition(run, run.status, { exit_code: end.exit_code, error }, 'run.retrying');
      return { outcome: 'retry', end };
    }
    const error = retries > 0 ? `${end.error} (attempt ${attempt} of ${retries + 1})` : end.error;
    await this.settle(ref, 'failed', { exit_code: end.exit_code, error });
    return { outcome: 'done', end };
  }

  /** The attempt ran past its timeout; its exit status is kept if its container has already ended, or comes later. */
  timedOut(ref: RunRef): Promise<Run | null> {
    return this.settle(ref, 'failed', { error: 'timed out' });
  }

  /**
   * A run's container has ended with `exitCode`. A run still active keeps it for the settle that follows (a
   * timeout, say); a run already stopped without one (cancelled, timed out) gets it now. Only the run's current
   * task counts: the end of an earlier attempt's container changes nothing.
   */
  async containerExited(ref: RunRef, task: string, exitCode: number): Promise<boolean> {
    for (let i = 0; i < SETTLE_ATTEMPTS; i++) {
      const run = await this.#load(ref);
      if (!run || run.backend.task !== task) return false;
      if (!isActive(run.status)) {
        const recorded = run.exit_code === null && (await this.#store.recordExitCode(ref, task, exitCode));
        if (recorded) this.#signals?.notify(run.id);
        return recorded;
      }
      if (await this.#transition(run, run.status, { exit_code: exitCode })) return true;
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
  async settle(ref: RunRef, status: Exclude<RunStatus, 'pending' | 'running'>, fields: SettleFields): Promise<Run | null> {
    for (let i = 0; i < SETTLE_ATTEMPTS; i++) {
      const run = await this.#load(ref);
      if (!run || !isActive(run.status)) return null;
      const finishedAt = this.#now().toISOString();
      // Only what this settle knows is written: an exit status the container's end recorded meanwhile (a
      // timed-out run's 137, say) is not overwritten with the one read above.
      const changes: Partial<Run> = { status, finished_at: finishedAt, duration_ms: durationMs(run.started_at, finishedAt) };
      if (fields.exit_code !== undefined) changes.exit_code = fields.exit_code;
      if (fields.error !== undefined) changes.error = fields.error;
      // A finished run keeps what it used, where the host can tell (null otherwise).
      const usage = fields.usage !== undefined ? fields.usage : await this.#usage?.usageOf(run).catch(() => null);
      if (usage !== undefined) changes.usage = usage;
      if (await this.#transition(run, run.status, changes, settledEventType(status))) return { ...run, ...changes };
    }
    throw new ConflictError(`run ${ref.run_id} changed concurrently`);
  }
}
