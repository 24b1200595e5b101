// A run as the stores keep it, for tests that write one directly: a pending run of one task as a trigger makes it,
// with the fields a test cares about given over it. A new field of Run is added here once.
import type { JobRef } from '../../functions/core/jobs.ts';
import { pendingTasks, type Run } from '../../functions/core/run-model.ts';

export function aRun(ref: JobRef, id: string, fields: Partial<Run> = {}): Run {
  return {
    id,
    job_id: ref.job_id,
    job_revision: 1,
    workspace_id: ref.workspace_id,
    project_id: ref.project_id,
    status: 'pending',
    trigger: 'manual',
    priority: 50,
    attempt: 0,
    scheduled_for: null,
    created_at: '2026-12-01T00:00:00.000Z',
    started_at: null,
    finished_at: null,
    duration_ms: null,
    exit_code: null,
    error: null,
    overrides: { command: null, env: {} },
    image: 'alpine',
    command: ['true'],
    secrets: [],
    usage: null,
    backend: { runner: 'process', task: null, execution: null, task_role: null },
    tasks: pendingTasks(1),
    parallelism: 1,
    caused_by: null,
    output: null,
    ...fields,
  };
}
