// Backend events that move runs in AWS, handled like any Task: an ECS task that really started marks its run
// running, and one that stopped records how its container ended; an execution that ended FAILED, TIMED_OUT or
// ABORTED without settling its run is reconciled, as is, on a schedule, any run whose end no event reported.
// All are idempotent: every write is conditional on the run's status.
import { idPattern } from '../core/ids.ts';
import type { RunStore } from '../core/ports.ts';
import type { RunLifecycle } from '../core/run-lifecycle.ts';
import { runRef, TASK_INDEX_VARIABLE } from '../core/run-model.ts';
import type { RunReconciler, SweepReport } from '../core/run-reconciler.ts';
import type { AlertSweep, AlertSweepReport } from '../core/alert-sweep.ts';
import { CONTAINER_NAME, jobOfTaskGroup } from './ecs-names.ts';
import type { ExecutionInput } from './execution-input.ts';
import type { AdmissionDispatcher } from './admission-dispatcher.ts';

const RUN_ID = idPattern('run');

export interface EcsTaskStateChange {
  'detail-type': 'ECS Task State Change';
  detail: {
    lastStatus?: string;
    startedBy?: string;
    group?: string;
    taskArn?: string;
    startedAt?: string;
    containers?: Array<{ name?: string; exitCode?: number }>;
    /** The RunTask request's overrides: the environment says which task of its run the ECS task is. */
    overrides?: {
      containerOverrides?: Array<{ name?: string; environment?: Array<{ name?: string; value?: string }> }>;
    };
  };
}

/** Which task of its run an ECS task is: its JOBS_TASK_INDEX (0 for a task started without one). */
export function taskIndexOf(detail: EcsTaskStateChange['detail']): number {
  const override =
    detail.overrides?.containerOverrides?.find((c) => c.name === CONTAINER_NAME) ??
    detail.overrides?.containerOverrides?.[0];
  const value = override?.environment?.find((v) => v.name === TASK_INDEX_VARIABLE)?.value;
  return value !== undefined && /^\d{1,4}$/.test(value) ? Number(value) : 0;
}

/**
 * RUNNING marks the task (and with its first, the run) running; STOPPED records the container's exit status on a run that was stopped from
 * outside its execution (cancelled, timed out), which no EndAttempt reports.
 */
export function ecsTaskEventHandler(store: RunStore, lifecycle: RunLifecycle) {
  return async (event: EcsTaskStateChange): Promise<{ marked: boolean } | { exit_recorded: boolean }> => {
    const { lastStatus, startedBy, group, taskArn, startedAt, containers } = event.detail;
    // The task's group is family:job-<job id>; startedBy is the run id.
    const jobId = jobOfTaskGroup(group);
    const relevant = lastStatus === 'RUNNING' || lastStatus === 'STOPPED';
    if (!relevant || !jobId || !startedBy || !RUN_ID.test(startedBy) || !taskArn) return { marked: false };
    const run = await store.findByJob(jobId, startedBy);
    if (!run) return { marked: false };
    const index = taskIndexOf(event.detail);
    if (index >= run.tasks.count) return { marked: false };
    if (lastStatus === 'RUNNING')
      return {
        marked: await lifecycle.markRunning(runRef(run), taskArn, startedAt ? new Date(startedAt) : undefined, index),
      };
    const exitCode = (containers?.find((c) => c.name === CONTAINER_NAME) ?? containers?.[0])?.exitCode;
    if (typeof exitCode !== 'number') return { exit_recorded: false };
    return { exit_recorded: await lifecycle.containerExited(runRef(run), taskArn, exitCode, index) };
  };
}

export interface ExecutionStatusChange {
  'detail-type': 'Step Functions Execution Status Change';
  detail: { status: string; name: string; input?: string; cause?: string | null; error?: string | null };
}

/** What EventBridge delivers on the reconciler's schedule. */
export interface ScheduledSweep {
  'detail-type': 'Scheduled Event';
}

/** What the alert sweep's rule delivers each minute (see alert-sweep.ts). */
export interface AlertSweepTick {
  action: 'alert_sweep';
}

export type ReconcilerEvent = ExecutionStatusChange | ScheduledSweep | AlertSweepTick;

export function reconcilerHandler(reconciler: RunReconciler, admission?: AdmissionDispatcher, alerts?: AlertSweep) {
  return async (event: ReconcilerEvent): Promise<{ settled: boolean } | SweepReport | AlertSweepReport> => {
    if ('action' in event) return alerts ? alerts.sweep() : { slow: [], missed: [] };
    if (event['detail-type'] === 'Scheduled Event') return reconciler.sweep();
    const { status, input, error, cause } = event.detail;
    if (!['FAILED', 'TIMED_OUT', 'ABORTED'].includes(status) || !input) return { settled: false };
    const parsed = JSON.parse(input) as Partial<ExecutionInput>;
    // A task's child execution (the Map's) carries no task list: its run is its parent's to settle.
    if (!parsed.run || !parsed.task_indexes) return { settled: false };
    const { run } = parsed;
    const why =
      status === 'ABORTED'
        ? 'the execution was stopped'
        : status === 'TIMED_OUT'
          ? 'the execution timed out'
          : `the execution failed: ${[error, cause].filter(Boolean).join(': ')}`;
    const settled = await reconciler.executionEnded(run, why);
    // A stopped execution (a cancel) answers no step: what of its run waits or holds a slot is given up here.
    await admission?.runEnded(run);
    return { settled };
  };
}
