// The alerts no single write can tell, because they are about time passing: a run still running past its job's
// max_duration_seconds (run.slow), and a fire that made no run within missed_schedule_seconds of its time
// (schedule.missed: the service was down, or the scheduler never delivered it). A sweep looks for both; each is
// marked on its run or job in the write that tells it, so a sweep repeated, or run by two hosts at once, tells it
// once. Locally the sweep runs at start (a fire missed while the service was down) and every few seconds; in AWS
// each minute.
import { latestDueFire, scheduleMissedEvent, slowRunEvent } from './alerts.ts';
import { scheduleFor } from './cron.ts';
import { scheduledRunId } from './ids.ts';
import type { Job } from './jobs.ts';
import type { JobStore, RunStore } from './ports.ts';
import { jobRef } from './runs.ts';

export interface AlertSweepReport {
  slow: string[];
  missed: Array<{ job_id: string; scheduled_for: string }>;
}

const PAGE = 100;
/** Runs told slow by this process: not tried again (the store would refuse them anyway). */
const REMEMBERED_SLOW = 10_000;

export class AlertSweep {
  readonly #runs: RunStore;
  readonly #jobs: JobStore;
  readonly #now: () => Date;
  readonly #toldSlow = new Set<string>();

  constructor(deps: { runs: RunStore; jobs: JobStore; now?: () => Date }) {
    this.#runs = deps.runs;
    this.#jobs = deps.jobs;
    this.#now = deps.now ?? (() => new Date());
  }

  async sweep(): Promise<AlertSweepReport> {
    return { slow: await this.slowRuns(), missed: await this.missedFires() };
  }

  /** Tells run.slow of every running run past its job's max_duration_seconds; the runs told. */
  async slowRuns(): Promise<string[]> {
    const told: string[] = [];
    const jobs = new Map<string, Job | null>();
    let cursor: string | undefined;
    do {
      const page = await this.#runs.listActive({ limit: PAGE, cursor });
      for (const run of page.items) {
        if (run.status !== 'running' || this.#toldSlow.has(run.id)) continue;
        if (!jobs.has(run.job_id)) jobs.set(run.job_id, (await this.#runs.alertState(run))?.job ?? null);
        const job = jobs.get(run.job_id);
        const event = job ? slowRunEvent(job, run, this.#now()) : null;
        if (!event) continue;
        if (await this.#runs.recordSlow(run, event)) told.push(run.id);
        this.#remember(run.id);
      }
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return told;
  }

  /**
   * Tells schedule.missed of every scheduled job, with the alert on, whose newest fire due for longer than its
   * missed_schedule_seconds made no run and was not skipped (nor told already).
   */
  async missedFires(): Promise<AlertSweepReport['missed']> {
    const told: AlertSweepReport['missed'] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#jobs.listScheduled({ limit: PAGE, cursor });
      for (const job of page.items) {
        const grace = job.alerts.missed_schedule_seconds;
        if (grace === undefined || !job.schedule || job.suspended) continue;
        const ref = jobRef(job);
        const state = await this.#jobs.scheduleState(ref);
        // A fire counts from the schedule's last change on, after the last fire made, skipped or told missed.
        const since = Math.max(
          ...[job.updated_at, state.last_fired_at, state.last_skipped_at, state.last_missed_at]
            .filter((at): at is string => at !== null)
            .map(Date.parse),
        );
        const now = this.#now();
        // A fire may start as late as its jitter allows before its grace begins.
        const late = grace + job.schedule_jitter_seconds;
        const due = latestDueFire(scheduleFor(job.schedule, job.timezone), new Date(since), now, late);
        if (!due) continue;
        // Its run may exist though the fire was not yet recorded (the record follows the run).
        if (await this.#runs.findByJob(job.id, scheduledRunId(job.id, due))) continue;
        if (await this.#jobs.recordMissedFire(ref, due, scheduleMissedEvent(job, due, now)))
          told.push({ job_id: job.id, scheduled_for: due.toISOString() });
      }
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return told;
  }

  #remember(runId: string): void {
    if (this.#toldSlow.size >= REMEMBERED_SLOW) this.#toldSlow.clear();
    this.#toldSlow.add(runId);
  }
}
