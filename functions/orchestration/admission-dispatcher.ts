// Admission where many processes decide (AWS): an attempt's StartAttempt step waits with its task token in its
// workspace's queue (the AdmissionStore); whoever holds the workspace's lease decides with the one rule of the
// core (core/admission.ts), takes each admitted task's slot in a transaction no limit can pass, paces launches by
// the deployment's rate, counts the attempt and answers its token with the container's environment. Anything that
// changes the queue pokes the lease, so the holder looks again before it lets go; a tick every minute decides for
// every workspace with a queue and gives back the slots of runs that are no longer active.
import { planAdmission, runPlaces, type AdmissionLimits, type TaskPlace, type WaitingTask } from '../core/admission.ts';
import { RunAlreadySettledError } from '../core/errors.ts';
import { sleep } from '../core/sleep.ts';
import type { AdmissionStore, LaunchRate, QueuedAttempt, RunQueues, RunStore } from '../core/ports.ts';
import type { RunLifecycle } from '../core/run-lifecycle.ts';
import { isActive, type Run, type RunQueue, type RunRef } from '../core/run-model.ts';
import type { Logger } from '../logger.ts';
import { attemptEnvironment, type EcsEnvironment } from './attempt-environment.ts';
import type { AdmissionInput } from './execution-input.ts';

/** What answers a waiting StartAttempt step: Step Functions' task tokens in AWS. */
export interface TaskTokens {
  /** False when nothing waits on the token any more (its execution stopped). */
  succeed(token: string, output: object): Promise<boolean>;
  fail(token: string, error: 'not-admitted' | 'settled' | 'unavailable', cause: string): Promise<boolean>;
}

/** What a StartAttempt step hands to admission. */
export interface AttemptToAdmit {
  run: RunRef;
  task: { index: number; count: number };
  environment: EcsEnvironment;
  admission: AdmissionInput;
  token: string;
}

export interface AdmissionDispatcherDeps {
  store: AdmissionStore;
  tokens: TaskTokens;
  lifecycle: RunLifecycle;
  runs: RunStore;
  limits: (places: TaskPlace[]) => Promise<AdmissionLimits>;
  launch: LaunchRate;
  /** Who decides when this process holds a lease (a Lambda instance's id). */
  holder: string;
  logger: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How long one call keeps deciding while launches are paced (a Lambda invocation has its own timeout). */
  budgetMs?: number;
}

const LEASE_MS = 60_000;
/** A slot this old whose run is no longer active is given back by the tick. */
const STALE_SLOT_MS = 120_000;
/** A refused launch waits a random time up to this base × 2^(refusals − 1), at most the max, before it is due. */
const RELAUNCH_BASE_MS = 2_000;
const RELAUNCH_MAX_MS = 60_000;
/** How many admitted attempts are taken and answered at once. */
const ADMIT_AT_ONCE = 25;
/** How soon a decision whose every take was refused (a concurrent write) tries again. */
const RETAKE_MS = 100;

export class AdmissionDispatcher implements RunQueues {
  readonly #deps: AdmissionDispatcherDeps;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(deps: AdmissionDispatcherDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#sleep = deps.sleep ?? ((ms) => sleep(ms));
  }

  /** An attempt waits in its workspace's queue (one that could never fit is refused by the next decision). */
  async wait(attempt: AttemptToAdmit): Promise<void> {
    await this.#deps.store.enqueue(this.#queued(attempt, this.#now()));
    await this.dispatch(attempt.run.workspace_id);
  }

  /**
   * ECS refused to launch an admitted attempt (throttled, no Fargate capacity): its slot goes back and it waits
   * again, after a backoff with full jitter, to be paced by the launch rate like any start. It stays the same
   * attempt; only its queue timeout, counted afresh, can fail it.
   */
  async relaunch(attempt: AttemptToAdmit & { attempt: number; why: string }): Promise<void> {
    const { store } = this.#deps;
    const ref = { workspace_id: attempt.run.workspace_id, run_id: attempt.run.run_id, index: attempt.task.index };
    const count = ((await store.slot(ref))?.relaunches ?? 0) + 1;
    await store.release(ref);
    const now = this.#now();
    const backoff = Math.random() * Math.min(RELAUNCH_MAX_MS, RELAUNCH_BASE_MS * 2 ** (count - 1));
    await store.enqueue({
      ...this.#queued(attempt, now),
      relaunch: { attempt: attempt.attempt, count, why: attempt.why },
      not_before: now + Math.round(backoff),
    });
    await this.dispatch(attempt.run.workspace_id);
  }

  #queued(attempt: AttemptToAdmit, now: number): QueuedAttempt {
    const { run, task, admission } = attempt;
    return {
      key: `${run.run_id}/${task.index}`,
      workspace_id: run.workspace_id,
      project_id: run.project_id,
      job_id: run.job_id,
      run_id: run.run_id,
      index: task.index,
      task_count: task.count,
      priority: admission.priority,
      created: Date.parse(admission.created_at),
      since: now,
      cpu: admission.cpu,
      memory_mb: admission.memory_mb,
      token: attempt.token,
      environment: Object.fromEntries(attempt.environment.map(({ Name, Value }) => [Name, Value])),
      queue_timeout_seconds: admission.queue_timeout_seconds,
      deadline: now + admission.queue_timeout_seconds * 1000,
    };
  }

  /** Gives back a task's slot (or, without `index`, every slot of its run), and decides again. */
  async release(run: RunRef, index?: number): Promise<void> {
    const { store } = this.#deps;
    const slots =
      index === undefined
        ? await store.slotsOf(run.workspace_id, run.run_id)
        : [{ workspace_id: run.workspace_id, run_id: run.run_id, index }];
    let released = false;
    for (const slot of slots) released = (await store.release(slot)) || released;
    if (released) await this.dispatch(run.workspace_id);
  }

  /** A run's execution ended: whatever of it still waits leaves the queue, and its slots go back. */
  async runEnded(run: RunRef): Promise<void> {
    const { waiting } = await this.#deps.store.state(run.workspace_id);
    for (const attempt of waiting.filter((a) => a.run_id === run.run_id)) await this.#deps.store.drop(attempt);
    await this.release(run);
  }

  /** Decides for a workspace while this process holds its lease; returns at once when another holds it. */
  async dispatch(workspaceId: string): Promise<void> {
    const { store } = this.#deps;
    await store.poke(workspaceId);
    const lease = await store.lease(workspaceId, this.#deps.holder, LEASE_MS, this.#now());
    if (!lease) return;
    let generation = lease.generation;
    const until = this.#now() + (this.#deps.budgetMs ?? 30_000);
    for (;;) {
      const step = await this.#decide(workspaceId);
      if (step.paced && this.#now() + step.paced < until) {
        await this.#sleep(step.paced);
        await store.lease(workspaceId, this.#deps.holder, LEASE_MS, this.#now());
        continue;
      }
      if (step.changed) continue;
      const let_go = await store.unlease(workspaceId, this.#deps.holder, generation);
      if ('released' in let_go) return;
      generation = let_go.generation;
    }
  }

  /** One decision: what changed, and how long until the launch rate allows what else would start. */
  async #decide(workspaceId: string): Promise<{ changed: boolean; paced: number }> {
    const { store, tokens } = this.#deps;
    const now = this.#now();
    const { waiting: all, held } = await store.state(workspaceId);
    // A relaunch waits out its backoff before it is a candidate.
    const waiting = all.filter((attempt) => (attempt.not_before ?? 0) <= now);
    const backingOff = all.filter((attempt) => (attempt.not_before ?? 0) > now);
    const nextDue = backingOff.length > 0 ? Math.min(...backingOff.map((a) => a.not_before!)) - now : 0;
    if (waiting.length === 0) return { changed: false, paced: nextDue };
    const limits = await this.#deps.limits([...waiting, ...held]);
    const plan = planAdmission(waiting, held, limits);
    let changed = false;
    for (const { task, reason } of plan.refuse) {
      const attempt = task as QueuedAttempt;
      if (await store.drop(attempt)) await tokens.fail(attempt.token, 'not-admitted', reason);
      changed = true;
    }
    const admitting = new Set(plan.admit.map((task) => task.key));
    for (const attempt of waiting) {
      if (attempt.deadline > now || admitting.has(attempt.key) || !plan.queue.has(attempt.key)) continue;
      const why = `not started within ${attempt.queue_timeout_seconds} s: ${plan.queue.get(attempt.key)!.reason}`;
      if (await store.drop(attempt)) await tokens.fail(attempt.token, 'not-admitted', why);
      changed = true;
    }
    if (plan.admit.length === 0) return { changed, paced: nextDue };
    const { granted, nextInMs } = await store.launches(plan.admit.length, this.#deps.launch, now);
    let refused = 0;
    // Taken and answered a batch at a time: a burst of 100 starts within its second, not one round trip after another.
    const admitted = plan.admit.slice(0, granted) as QueuedAttempt[];
    for (let from = 0; from < admitted.length; from += ADMIT_AT_ONCE) {
      await Promise.all(
        admitted.slice(from, from + ADMIT_AT_ONCE).map(async (attempt) => {
          const scopes = { project: limits.project(attempt).limits, workspace: limits.workspace(attempt.workspace_id) };
          if (await store.take(attempt, scopes, now)) {
            await this.#admitted(attempt);
            changed = true;
          } else refused++;
        }),
      );
    }
    // A take another decider's write refused is tried again shortly, not at once.
    const paced = granted < plan.admit.length ? Math.max(1, nextInMs) : refused > 0 && !changed ? RETAKE_MS : nextDue;
    return { changed, paced };
  }

  /** The attempt holds its slot: it is counted and its step answered; a run settled meanwhile gives it back. */
  async #admitted(attempt: QueuedAttempt): Promise<void> {
    const { lifecycle, tokens, store, logger } = this.#deps;
    const ref: RunRef = {
      workspace_id: attempt.workspace_id,
      project_id: attempt.project_id,
      job_id: attempt.job_id,
      run_id: attempt.run_id,
    };
    const task = { index: attempt.index, count: attempt.task_count };
    let answered: boolean;
    try {
      const { attempt: number } = attempt.relaunch
        ? await this.#stillActive(ref, attempt.relaunch.attempt)
        : await lifecycle.startAttempt(ref, attempt.index);
      answered = await tokens.succeed(attempt.token, {
        attempt: number,
        environment: attemptEnvironment(
          Object.entries(attempt.environment).map(([Name, Value]) => ({ Name, Value })),
          attempt.run_id,
          task,
          number,
        ),
      });
    } catch (error) {
      const settled = error instanceof RunAlreadySettledError;
      if (!settled)
        logger.warn('could not start an admitted attempt; it asks again', { ...ref, error: error as Error });
      await tokens.fail(attempt.token, settled ? 'settled' : 'unavailable', (error as Error).message);
      answered = false;
    }
    if (!answered) await store.release(attempt);
  }

  /** A relaunch is the attempt it was, while its run is still active. */
  async #stillActive(ref: RunRef, attempt: number): Promise<{ attempt: number }> {
    const run = await this.#deps.runs.get(ref);
    if (!run || !isActive(run.status)) throw new RunAlreadySettledError(`run ${ref.run_id} is already settled`);
    return { attempt };
  }

  /** Every minute: the slots of runs no longer active go back, and every workspace with a queue is decided. */
  async tick(): Promise<{ released: number; workspaces: number }> {
    const { store, runs } = this.#deps;
    let released = 0;
    const workspaces = await store.workspaces();
    for (const workspaceId of workspaces) {
      const { held } = await store.state(workspaceId);
      for (const slot of held) {
        if (this.#now() - slot.taken < STALE_SLOT_MS) continue;
        const run = await runs.get({ ...slot, run_id: slot.run_id });
        if (!run || !isActive(run.status)) released += (await store.release(slot)) ? 1 : 0;
      }
      await this.dispatch(workspaceId);
    }
    return { released, workspaces: workspaces.length };
  }

  /** Where waiting runs stand: each one's best place in its workspace's queue. */
  async of(runs: Run[]): Promise<Map<string, RunQueue>> {
    const found = new Map<string, RunQueue>();
    const wanted = new Set(runs.map((run) => run.id));
    for (const workspaceId of new Set(runs.map((run) => run.workspace_id))) {
      const { waiting, held } = await this.#deps.store.state(workspaceId);
      if (!waiting.some((attempt) => wanted.has(attempt.run_id))) continue;
      const now = this.#now();
      const due = waiting.filter((attempt) => (attempt.not_before ?? 0) <= now);
      const plan = planAdmission(due, held, await this.#deps.limits([...due, ...held]));
      // A relaunch still waiting out its backoff stands behind every task that is due.
      const placeOf = (task: WaitingTask) => {
        const attempt = task as QueuedAttempt;
        return (
          plan.queue.get(attempt.key) ??
          (attempt.relaunch && {
            position: plan.queue.size + 1,
            reason: `ECS refused to launch it (${attempt.relaunch.why}); launching again from ${new Date(attempt.not_before ?? now).toISOString()}`,
          }) ??
          undefined
        );
      };
      for (const [runId, place] of runPlaces(waiting, wanted, placeOf)) found.set(runId, place);
    }
    return found;
  }
}
