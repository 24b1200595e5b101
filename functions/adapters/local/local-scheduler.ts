// The ScheduleStore of local mode: an in-process scheduler. Every schedule's next fire time comes from the same
// Schedule (croner, with EventBridge's daylight-saving rules) that validation and `next_fire_at` use; one timer
// serves them all through a min-heap, so ten thousand schedules cost ten thousand small entries, not timers.
// A fire is handed over as the event EventBridge Scheduler would deliver: the job and the scheduled time.
//
// Missed fires: a fire found late (the service was down, or the machine slept) is delivered only if it is the
// latest one missed and no older than the catch-up window; older ones are dropped.
import { scheduleFor } from '../../core/cron.ts';
import type { Job, JobRef } from '../../core/jobs.ts';
import type { ScheduleStore } from '../../core/ports.ts';
import { jitterDelayMs, type ScheduledFire } from '../../core/schedules.ts';
import type { Logger } from '../../logger.ts';

/**
 * The longest the scheduler sleeps before looking at the clock again. Timers run on a monotonic clock that stops
 * while the machine sleeps and ignores clock steps; waking at least this often notices either promptly.
 */
const MAX_DELAY_MS = 30_000;
export const DEFAULT_CATCH_UP_SECONDS = 300;
/** A fire that could not be delivered is retried with backoff, as EventBridge Scheduler's retry policy does. */
const DELIVERY_ATTEMPTS = 6;
const RETRY_BASE_MS = 200;

interface Entry {
  job: JobRef;
  /** The cron text and zone only: the Schedule that computes fire times is shared (see scheduleFor). */
  cron: string;
  timeZone: string;
  /** Each fire starts up to this long after its time (see jitterDelayMs). */
  jitterSeconds: number;
  next: Date;
  /** False once the job's schedule changed or went; the heap drops it lazily. */
  current: boolean;
}

export interface LocalSchedulerOptions {
  deliver(fire: ScheduledFire): Promise<unknown>;
  logger: Logger;
  catchUpSeconds?: number;
}

export class LocalScheduler implements ScheduleStore {
  readonly #deliver: LocalSchedulerOptions['deliver'];
  readonly #logger: Logger;
  readonly #catchUpMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #heap: Entry[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #retryWaits = new Set<() => void>();

  constructor(options: LocalSchedulerOptions) {
    this.#deliver = options.deliver;
    this.#logger = options.logger;
    this.#catchUpMs = (options.catchUpSeconds ?? DEFAULT_CATCH_UP_SECONDS) * 1000;
  }

  /** How many schedules are armed. */
  get size(): number {
    return this.#entries.size;
  }

  async sync(job: Job): Promise<void> {
    this.#disarm(job.id);
    if (job.schedule && !job.suspended) this.#add(job, new Date(Date.now()));
    this.#arm();
  }

  async remove(job: JobRef): Promise<void> {
    this.#disarm(job.job_id);
    this.#arm();
  }

  /**
   * Arms the schedules of jobs loaded at start. With `catchUp`, each also fires once for its latest fire time
   * missed within the catch-up window (a repeat of a fire already made is refused by its run id).
   */
  load(jobs: Iterable<Job>, options: { catchUp: boolean }): void {
    const now = Date.now();
    for (const job of jobs) {
      if (!job.schedule || job.suspended) continue;
      const from = options.catchUp && this.#catchUpMs > 0 ? new Date(now - this.#catchUpMs) : new Date(now);
      this.#add(job, from);
    }
    this.#tick();
  }

  /** Stops firing and waits for fires already handed over. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const wake of this.#retryWaits) wake();
    await Promise.allSettled([...this.#inFlight]);
  }

  #add(job: Job, from: Date): void {
    const cron = job.schedule as string;
    const next = scheduleFor(cron, job.timezone).next(from);
    if (!next) return;
    const entry: Entry = {
      job: { workspace_id: job.workspace_id, project_id: job.project_id, job_id: job.id },
      cron,
      timeZone: job.timezone,
      jitterSeconds: job.schedule_jitter_seconds,
      next,
      current: true,
    };
    this.#entries.set(job.id, entry);
    this.#push(entry);
  }

  #disarm(jobId: string): void {
    const entry = this.#entries.get(jobId);
    if (entry) entry.current = false;
    this.#entries.delete(jobId);
  }

  #arm(): void {
    clearTimeout(this.#timer);
    while (this.#heap.length > 0 && !this.#heap[0]!.current) this.#pop();
    if (this.#stopped || this.#heap.length === 0) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, this.#heap[0]!.next.getTime() - Date.now()));
    this.#timer = setTimeout(() => this.#tick(), delay);
    this.#timer.unref?.();
  }

  /** Fires everything due, each schedule at most once: its latest due time, if not too late. */
  #tick(): void {
    const now = Date.now();
    while (this.#heap.length > 0 && this.#heap[0]!.next.getTime() <= now) {
      const entry = this.#pop();
      if (!entry.current) continue;
      const schedule = scheduleFor(entry.cron, entry.timeZone);
      let due = entry.next;
      let following = schedule.next(due);
      while (following && following.getTime() <= now) {
        due = following;
        following = schedule.next(due);
      }
      if (now - due.getTime() <= Math.max(this.#catchUpMs, 1_000)) this.#fire(entry.job, due, entry.jitterSeconds);
      else this.#logger.warn('schedule fire missed', { job_id: entry.job.job_id, scheduled_for: due.toISOString() });
      if (!following) {
        this.#entries.delete(entry.job.job_id);
        continue;
      }
      entry.next = following;
      this.#push(entry);
    }
    this.#arm();
  }

  #fire(job: JobRef, scheduledFor: Date, jitterSeconds: number): void {
    const fire: ScheduledFire = { job, scheduled_time: scheduledFor.toISOString() };
    // With jitter the fire waits its share of the window (what is left of it when found late); stop() cuts the wait
    // short and the fire is not delivered: the next start's catch-up makes it (the same run id).
    const wait = scheduledFor.getTime() + jitterDelayMs(job.job_id, scheduledFor, jitterSeconds) - Date.now();
    const delivery = (wait > 0 ? this.#retryWait(wait) : Promise.resolve())
      .then(() => (this.#stopped ? undefined : this.#deliverWithRetries(fire)))
      .finally(() => this.#inFlight.delete(delivery));
    this.#inFlight.add(delivery);
  }

  async #deliverWithRetries(fire: ScheduledFire): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#deliver(fire);
        return;
      } catch (error) {
        if (attempt >= DELIVERY_ATTEMPTS || this.#stopped) {
          this.#logger.error('scheduled fire failed', {
            ...fire.job,
            scheduled_for: fire.scheduled_time,
            attempts: attempt,
            error: error as Error,
          });
          return;
        }
        // Repeats are safe: the fire's run id is derived from the job and the time.
        await this.#retryWait(RETRY_BASE_MS * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
        // Stopped while waiting: the next start's catch-up fires it again (same run id), so nothing is lost.
        if (this.#stopped) return;
      }
    }
  }

  /** A backoff pause that stop() cuts short, so stopping never waits out a retry. */
  #retryWait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#retryWaits.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#retryWaits.add(wake);
    });
  }

  // A binary min-heap on each entry's next fire time.
  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.next <= heap[i]!.next) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  #pop(): Entry {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && heap[left]!.next < heap[smallest]!.next) smallest = left;
        if (right < heap.length && heap[right]!.next < heap[smallest]!.next) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i]!, heap[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
