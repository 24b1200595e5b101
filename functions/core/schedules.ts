// Schedules: a job's cron fires runs by itself. Wherever the schedule lives (EventBridge Scheduler, or the local
// scheduler), a fire arrives as the same event at the same handler, and becomes a run whose id is derived from
// the job and the scheduled time, so the scheduler's at-least-once delivery never makes two runs of one fire.
import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { scheduledRunId } from './ids.ts';
import type { Job, JobRef } from './jobs.ts';
import type { JobHooks, JobService } from './job-service.ts';
import type { EventSink, JobStore, ScheduleStore } from './ports.ts';
import { jobRef, type RunService } from './runs.ts';

/** What a scheduler delivers for one fire: which job, and the time it was due (EventBridge's scheduled-time). */
export interface ScheduledFire {
  job: JobRef;
  scheduled_time: string;
}

export type FireOutcome =
  | { outcome: 'fired'; run_id: string }
  | { outcome: 'duplicate'; run_id: string }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'ignored'; reason: string };

export class ScheduledTrigger {
  readonly #jobs: JobService;
  readonly #runs: RunService;

  constructor(deps: { jobs: JobService; runs: RunService }) {
    this.#jobs = deps.jobs;
    this.#runs = deps.runs;
  }

  async fire(event: ScheduledFire): Promise<FireOutcome> {
    const scheduledFor = new Date(event.scheduled_time);
    if (Number.isNaN(scheduledFor.getTime()))
      throw ValidationError.field('scheduled_time', `'${event.scheduled_time}' is not a time`);
    const job = await this.#jobs.get(event.job).catch((error) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    // A schedule that outlived its job or its cron (deleted or changed meanwhile) fires nothing.
    if (!job) return { outcome: 'ignored', reason: 'the job no longer exists' };
    if (!job.schedule) return { outcome: 'ignored', reason: 'the job no longer has a schedule' };
    if (job.suspended) return { outcome: 'ignored', reason: 'the schedule is suspended' };

    const ref = jobRef(job);
    const runId = scheduledRunId(job.id, scheduledFor);
    // With `replace`, a repeated delivery must not cancel the run its first delivery made: look first. Otherwise
    // the run's conditional write itself refuses the repeat.
    if (
      job.concurrency === 'replace' &&
      (await this.#runs.get({ ...ref, run_id: runId }).then(
        () => true,
        () => false,
      ))
    ) {
      return { outcome: 'duplicate', run_id: runId };
    }
    try {
      await this.#runs.trigger(ref, {}, { trigger: 'schedule', scheduledFor, runId, job });
    } catch (error) {
      if (error instanceof ConflictError && error.field === 'run_id') return { outcome: 'duplicate', run_id: runId };
      if (error instanceof ConflictError && job.concurrency === 'forbid') {
        await this.#jobs.recordScheduleEvent(ref, 'skipped', scheduledFor);
        return { outcome: 'skipped', reason: error.message };
      }
      throw error;
    }
    await this.#jobs.recordScheduleEvent(ref, 'fired', scheduledFor);
    return { outcome: 'fired', run_id: runId };
  }
}

/**
 * How long after its time a fire of a job with jitter starts: spread over [0, jitter) by the job and the fire, so
 * it is the same on every host and every retry, and different for each job and fire.
 */
export function jitterDelayMs(jobId: string, fire: Date, jitterSeconds: number): number {
  if (jitterSeconds <= 0) return 0;
  const digest = createHash('sha256').update(`${jobId}@${fire.toISOString()}`).digest();
  return Math.floor((digest.readUInt32BE(0) / 2 ** 32) * jitterSeconds * 1000);
}

function scheduleChanged(job: Job, previous: Job): boolean {
  return (
    job.schedule !== previous.schedule ||
    job.timezone !== previous.timezone ||
    job.suspended !== previous.suspended ||
    job.schedule_jitter_seconds !== previous.schedule_jitter_seconds
  );
}

/** A job's schedule follows its spec: created with it, changed with it, removed before it goes. */
export function scheduleHooks(store: ScheduleStore): JobHooks {
  return {
    created: async (job) => {
      if (job.schedule) await store.sync(job);
    },
    updated: async (job, previous) => {
      if (scheduleChanged(job, previous)) await store.sync(job);
    },
    deleting: (job) => store.remove(jobRef(job)),
  };
}

/**
 * A schedule paused by its job's alerts (job.paused) is suspended where it lives too (EventBridge Scheduler's
 * schedule disabled, the local one disarmed). The pause itself is already written, and fires of a suspended job
 * are ignored meanwhile; this keeps the scheduler showing what the job says.
 */
export function pausedSchedules(jobs: JobStore, store: ScheduleStore): EventSink {
  return {
    async publish(events) {
      const failed: string[] = [];
      for (const event of events) {
        if (event.type !== 'job.paused' || !event.data.job_id) continue;
        try {
          const stored = await jobs.get(event.data, event.data.job_id);
          if (stored?.job.suspended) await store.sync(stored.job);
        } catch {
          failed.push(event.id);
        }
      }
      return { failed };
    },
  };
}
