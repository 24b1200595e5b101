// Admission on one machine: the tasks waiting to start and the slots held, in this process's memory, decided by
// the one rule of the core (core/admission.ts) each time a task asks, a slot is given back or a wait ends. Nothing
// here can leak a slot across a crash: the slots die with the process, and the next start holds one again for
// every task it re-attaches before any waiting run asks (recovery.ts).
import {
  planAdmission,
  runPlaces,
  type AdmissionLimits,
  type HeldTask,
  type QueuePlace,
  type TaskPlace,
  type TaskSize,
  type WaitingTask,
} from '../../core/admission.ts';
import { NotAdmittedError } from '../../core/errors.ts';
import type { RunQueues } from '../../core/ports.ts';
import type { Run, RunQueue } from '../../core/run-model.ts';
import type { Logger } from '../../logger.ts';

export interface AdmissionRequest extends TaskSize, TaskPlace {
  run_id: string;
  index: number;
  priority: number;
  /** When the run was created (ms). */
  created: number;
  queue_timeout_seconds: number;
}

/** A task's place among the running ones, given back once its container has ended. */
export interface Slot {
  release(): void;
}

interface Waiter {
  task: WaitingTask;
  admitted: (slot: Slot) => void;
  refused: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** How soon a decision is tried again when the limits could not be read. */
const RETRY_MS = 1_000;

export class LocalAdmission implements RunQueues {
  readonly #limits: (places: TaskPlace[]) => Promise<AdmissionLimits>;
  readonly #logger: Logger;
  readonly #waiting = new Map<string, Waiter>();
  readonly #held = new Map<string, HeldTask>();
  #places = new Map<string, QueuePlace>();
  #deciding: Promise<void> | null = null;
  #again = false;

  constructor(options: { limits: (places: TaskPlace[]) => Promise<AdmissionLimits>; logger: Logger }) {
    this.#limits = options.limits;
    this.#logger = options.logger;
  }

  /** Resolves with the task's slot once the limits over it have room; rejects when it waited too long or never can. */
  acquire(request: AdmissionRequest): Promise<Slot> {
    const key = `${request.run_id}/${request.index}`;
    return new Promise<Slot>((admitted, refused) => {
      const task: WaitingTask = {
        key,
        run_id: request.run_id,
        index: request.index,
        workspace_id: request.workspace_id,
        project_id: request.project_id,
        priority: request.priority,
        created: request.created,
        since: Date.now(),
        cpu: request.cpu,
        memory_mb: request.memory_mb,
      };
      const timer = setTimeout(() => {
        const reason = this.#places.get(key)?.reason ?? 'it was not admitted';
        this.#drop(key)?.refused(
          new NotAdmittedError(`not started within ${request.queue_timeout_seconds} s: ${reason}`),
        );
      }, request.queue_timeout_seconds * 1000);
      timer.unref();
      this.#waiting.set(key, { task, admitted, refused, timer });
      this.#decide();
    });
  }

  /** A slot for a task already running (re-attached after a restart): counted before anything waiting starts. */
  hold(place: TaskPlace & TaskSize & { run_id: string; index: number }): Slot {
    const key = `${place.run_id}/${place.index}`;
    this.#held.set(key, {
      workspace_id: place.workspace_id,
      project_id: place.project_id,
      cpu: place.cpu,
      memory_mb: place.memory_mb,
    });
    return this.#slot(key);
  }

  /** A run's waiting tasks stop waiting (it was cancelled or deleted); each one's wait rejects with `why`. */
  withdraw(runId: string, why: string): void {
    for (const [key, waiter] of this.#waiting)
      if (waiter.task.run_id === runId) this.#drop(key)?.refused(new NotAdmittedError(why));
  }

  /** Every wait ends (the service is stopping). */
  close(why: string): void {
    for (const key of [...this.#waiting.keys()]) this.#drop(key)?.refused(new NotAdmittedError(why));
  }

  /** Tasks holding a slot now. */
  get held(): number {
    return this.#held.size;
  }

  async of(runs: Run[]): Promise<Map<string, RunQueue>> {
    const waiting = [...this.#waiting.values()].map((waiter) => waiter.task);
    return runPlaces(waiting, new Set(runs.map((run) => run.id)), (task) => this.#places.get(task.key));
  }

  #slot(key: string): Slot {
    return {
      release: () => {
        if (this.#held.delete(key)) this.#decide();
      },
    };
  }

  #drop(key: string): Waiter | undefined {
    const waiter = this.#waiting.get(key);
    if (!waiter) return undefined;
    clearTimeout(waiter.timer);
    this.#waiting.delete(key);
    this.#places.delete(key);
    this.#decide();
    return waiter;
  }

  /** Decides again; one decision at a time, and one more after it when something changed meanwhile. */
  #decide(): void {
    if (this.#deciding) {
      this.#again = true;
      return;
    }
    this.#deciding = this.#decideNow().finally(() => {
      this.#deciding = null;
    });
  }

  async #decideNow(): Promise<void> {
    do {
      this.#again = false;
      if (this.#waiting.size === 0) {
        this.#places = new Map();
        continue;
      }
      let limits: AdmissionLimits;
      try {
        limits = await this.#limits([...this.#waiting.values()].map((waiter) => waiter.task));
      } catch (error) {
        this.#logger.warn('could not read the limits admission decides by; trying again', { error: error as Error });
        setTimeout(() => this.#decide(), RETRY_MS).unref();
        return;
      }
      // Decided on the state as it is now (tasks may have come and gone while the limits were read).
      const plan = planAdmission(
        [...this.#waiting.values()].map((waiter) => waiter.task),
        [...this.#held.values()],
        limits,
      );
      this.#places = plan.queue;
      for (const { task, reason } of plan.refuse) this.#take(task.key)?.refused(new NotAdmittedError(reason));
      for (const task of plan.admit) {
        const waiter = this.#take(task.key);
        if (!waiter) continue;
        this.#held.set(task.key, {
          workspace_id: task.workspace_id,
          project_id: task.project_id,
          cpu: task.cpu,
          memory_mb: task.memory_mb,
        });
        waiter.admitted(this.#slot(task.key));
      }
    } while (this.#again);
  }

  /** Removes a waiter the decision has settled, without deciding again. */
  #take(key: string): Waiter | undefined {
    const waiter = this.#waiting.get(key);
    if (!waiter) return undefined;
    clearTimeout(waiter.timer);
    this.#waiting.delete(key);
    return waiter;
  }
}
