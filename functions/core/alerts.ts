// Alerts: what a job asks to be told of beyond its runs' own events. Each is an event delivered like the others
// (webhooks, EventBridge), written in the same write as the change it tells of, so it is told exactly once:
// - job.failing, job.recovered and job.paused come from a run's settle, conditioned on the failures in a row the
//   settle read (see run-lifecycle.ts);
// - run.slow and schedule.missed come from a sweep (see alert-sweep.ts), each marked on its run or job as it is told.
import { newId } from './ids.ts';
import type { AlertDetail, AlertEventType } from './alert-rules.ts';
import type { Job } from './jobs.ts';
import type { ServiceEvent } from './events.ts';
import { redactOverrides, type Run } from './run-model.ts';
import type { Actor } from './revisions.ts';
import type { Schedule } from './cron.ts';

/** The actor of a change the service makes by itself (a pause), in revisions. */
export const SERVICE_ACTOR: Actor = { key_id: 'service', key_name: 'the service' };

type AlertJob = Pick<Job, 'workspace_id' | 'project_id' | 'id' | 'alerts' | 'schedule' | 'suspended'>;

function alertEvent(
  type: AlertEventType,
  job: Pick<Job, 'workspace_id' | 'project_id' | 'id'>,
  run: Run | null,
  alert: AlertDetail,
  at: Date,
  extra: { scheduled_for?: string } = {},
): ServiceEvent {
  return {
    id: newId('evt', at.getTime()),
    type,
    timestamp: at.toISOString(),
    data: {
      workspace_id: job.workspace_id,
      project_id: job.project_id,
      job_id: job.id,
      job_name: null,
      run: run ? { ...run, overrides: redactOverrides(run.overrides), queue: null } : null,
      alert,
      ...extra,
    },
  };
}

const inARow = (n: number) => `${n} run${n === 1 ? '' : 's'} in a row failed`;

/** What a run's outcome tells, given the failures in a row before it: its alert events, and a pause if one is due. */
export interface OutcomeAlerts {
  events: ServiceEvent[];
  /** Why the schedule is suspended now, if this outcome suspends it. */
  pause: string | null;
}

export function outcomeAlerts(
  job: AlertJob,
  streakBefore: number,
  run: Run,
  status: 'succeeded' | 'failed',
  at: Date,
): OutcomeAlerts {
  const { consecutive_failures: failing, pause_after_failures: pauseAfter } = job.alerts;
  const events: ServiceEvent[] = [];
  let pause: string | null = null;
  if (status === 'succeeded') {
    if (failing !== undefined && streakBefore >= failing)
      events.push(
        alertEvent(
          'job.recovered',
          job,
          run,
          {
            rule: 'consecutive_failures',
            threshold: failing,
            value: streakBefore,
            message: `succeeded after ${streakBefore} failure${streakBefore === 1 ? '' : 's'} in a row`,
          },
          at,
        ),
      );
    return { events, pause };
  }
  const streak = streakBefore + 1;
  if (failing !== undefined && streak === failing)
    events.push(
      alertEvent(
        'job.failing',
        job,
        run,
        { rule: 'consecutive_failures', threshold: failing, value: streak, message: inARow(streak) },
        at,
      ),
    );
  // A job resumed while still failing is paused again by its next failure: it is still failing in a row.
  if (pauseAfter !== undefined && streak >= pauseAfter && job.schedule !== null && !job.suspended) {
    pause = `paused after ${inARow(streak)} (pause_after_failures: ${pauseAfter})`;
    events.push(
      alertEvent(
        'job.paused',
        job,
        run,
        { rule: 'pause_after_failures', threshold: pauseAfter, value: streak, message: `the schedule was ${pause}` },
        at,
      ),
    );
  }
  return { events, pause };
}

/** A run still running past its job's max_duration_seconds, told once; null while it is not. */
export function slowRunEvent(job: AlertJob, run: Run, now: Date): ServiceEvent | null {
  const limit = job.alerts.max_duration_seconds;
  if (limit === undefined || run.status !== 'running' || run.started_at === null) return null;
  const seconds = Math.floor((now.getTime() - Date.parse(run.started_at)) / 1000);
  if (seconds < limit) return null;
  return alertEvent(
    'run.slow',
    job,
    run,
    {
      rule: 'max_duration_seconds',
      threshold: limit,
      value: seconds,
      message: `still running after ${seconds} s (max_duration_seconds: ${limit})`,
    },
    now,
  );
}

/**
 * The newest fire of the schedule that is at least `graceSeconds` old and later than `since` (the latest of: the
 * schedule's arming, the fires it made or skipped, the miss last told). Null when there is none. It looks back
 * from the due time over a widening window, so a schedule that fires each minute costs an hour of fires at most.
 */
export function latestDueFire(schedule: Schedule, since: Date, now: Date, graceSeconds: number): Date | null {
  const dueBy = now.getTime() - graceSeconds * 1000;
  if (dueBy <= since.getTime()) return null;
  for (let window = 3_600_000; ; window *= 4) {
    const from = Math.max(since.getTime(), dueBy - window);
    let latest: Date | null = null;
    for (let next = schedule.next(new Date(from)); next && next.getTime() <= dueBy; next = schedule.next(next))
      latest = next;
    if (latest || from === since.getTime()) return latest;
  }
}

/** A fire that made no run within `missed_schedule_seconds` of its time. */
export function scheduleMissedEvent(job: AlertJob, scheduledFor: Date, now: Date): ServiceEvent {
  const grace = job.alerts.missed_schedule_seconds ?? 0;
  const late = Math.floor((now.getTime() - scheduledFor.getTime()) / 1000);
  return alertEvent(
    'schedule.missed',
    job,
    null,
    {
      rule: 'missed_schedule_seconds',
      threshold: grace,
      value: late,
      message: `the fire of ${scheduledFor.toISOString()} made no run within ${grace} s of its time`,
    },
    now,
    { scheduled_for: scheduledFor.toISOString() },
  );
}
