// Events: what changed, told to whoever listens (EventBridge in AWS, webhooks). A run's status change and its
// event are written together by the run store, in one transaction, so neither can exist without the other.
import { ALERT_EVENT_TYPES, type AlertDetail } from './alert-rules.ts';
import { newId } from './ids.ts';
import { redactOverrides, type PublicRun, type Run, type RunStatus } from './run-model.ts';

export const RUN_EVENT_TYPES = ['run.started', 'run.retrying', 'run.succeeded', 'run.failed', 'run.cancelled'] as const;
export const EVENT_TYPES = [...RUN_EVENT_TYPES, 'schedule.skipped', ...ALERT_EVENT_TYPES, 'webhook.test'] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];
export type EventType = (typeof EVENT_TYPES)[number];

export interface ServiceEvent {
  id: string;
  type: EventType;
  timestamp: string;
  data: {
    workspace_id: string;
    project_id: string;
    /** null only on webhook.test. */
    job_id: string | null;
    /** Filled in when the event is delivered (the job may have been renamed or deleted since). */
    job_name: string | null;
    run: PublicRun | null;
    /** schedule.skipped and schedule.missed: the fire that was skipped or missed. */
    scheduled_for?: string;
    /** An alert's events (see alerts.ts): the rule, its threshold and the value that crossed it. */
    alert?: AlertDetail;
  };
}

/** The event of a settled run's terminal status. */
export function settledEventType(status: Exclude<RunStatus, 'pending' | 'running'>): RunEventType {
  return `run.${status}`;
}

/** The event of a run as it is after the change (`after`), stamped `at`. */
export function runEvent(type: RunEventType, after: Run, at: Date): ServiceEvent {
  return {
    id: newId('evt', at.getTime()),
    type,
    timestamp: at.toISOString(),
    data: {
      workspace_id: after.workspace_id,
      project_id: after.project_id,
      job_id: after.job_id,
      job_name: null,
      // A run's change ends any wait it was in: its place in the queue is shown only while it waits.
      run: { ...after, overrides: redactOverrides(after.overrides), queue: null },
    },
  };
}

/** The event a webhook's test sends: its project, and no run. */
export function webhookTestEvent(project: { workspace_id: string; project_id: string }, at: Date): ServiceEvent {
  return {
    id: newId('evt', at.getTime()),
    type: 'webhook.test',
    timestamp: at.toISOString(),
    data: {
      workspace_id: project.workspace_id,
      project_id: project.project_id,
      job_id: null,
      job_name: null,
      run: null,
    },
  };
}

/** A scheduled fire that `forbid` skipped because a run was active. */
export function scheduleSkippedEvent(
  job: { workspace_id: string; project_id: string; job_id: string },
  scheduledFor: Date,
  at: Date,
): ServiceEvent {
  return {
    id: newId('evt', at.getTime()),
    type: 'schedule.skipped',
    timestamp: at.toISOString(),
    data: {
      workspace_id: job.workspace_id,
      project_id: job.project_id,
      job_id: job.job_id,
      job_name: null,
      run: null,
      scheduled_for: scheduledFor.toISOString(),
    },
  };
}
