// The run resource, its request bodies and queries, batch statuses, job status and log lines.
import * as z from 'zod';
import type { LogLine } from '../core/ports.ts';
import type { JobStatus } from '../core/runs.ts';
import { BACKFILL_MAX_RUNS } from '../core/backfill.ts';
import {
  REDACTED,
  RUN_STATUSES,
  RUNNER_KINDS,
  TRIGGERS,
  type PublicRun,
  type RUN_FIELDS,
  type RunTask,
} from '../core/run-model.ts';
import {
  JobId,
  PageQuery,
  ProjectId,
  RunId,
  Timestamp,
  WorkspaceId,
  fromText,
  booleanParam,
  integer,
  integerParam,
  orNull,
  type Same,
} from './common.ts';
import { Command, Env, Parallelism, Priority, Tasks } from './job.ts';

export const TriggerBody = z
  .strictObject({
    command: Command.optional().meta({ description: 'Replaces the job command for this run only' }),
    env: Env.optional().meta({ description: "Added to (and over) the job's env for this run only" }),
    tasks: Tasks.optional().meta({ description: "Replaces the job's task count for this run only" }),
    parallelism: Parallelism.optional().meta({
      description: "Replaces the job's parallelism for this run only (at most tasks)",
    }),
    priority: Priority.optional().meta({ description: "Replaces the job's priority for this run only (0-100)" }),
  })
  .meta({ id: 'TriggerRun' });

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, { error: 'must be 1-255 visible ASCII characters' })
    .optional()
    .meta({ description: 'A repeat within 24 hours returns the same run; the same key with another body gets 422' }),
});

export const GetRunQuery = z.strictObject({
  wait: integerParam(0, 20)
    .optional()
    .meta({ description: 'Hold the reply up to this many seconds until the run finishes' }),
});

const StatusFilter = z.enum(RUN_STATUSES, { error: `must be one of ${RUN_STATUSES.join(', ')}` }).optional();
const TriggerFilter = z.enum(TRIGGERS, { error: `must be one of ${TRIGGERS.join(', ')}` }).optional();

export const JobRunsQuery = PageQuery.extend({ status: StatusFilter });
export const ProjectRunsQuery = JobRunsQuery.extend({ job_id: JobId.optional(), trigger: TriggerFilter });
export const WorkspaceRunsQuery = ProjectRunsQuery.extend({ project_id: ProjectId.optional() });

export const CancelBody = z
  .strictObject({
    mode: z
      .enum(['graceful', 'force'], { error: 'must be graceful or force' })
      .optional()
      .meta({ description: 'graceful (default): SIGTERM, then SIGKILL after timeout_seconds; force: SIGKILL at once' }),
    timeout_seconds: integer(0, 3600).optional().meta({ description: 'The grace before SIGKILL (default 30)' }),
  })
  .meta({ id: 'CancelRun' });

export const StatusesBody = z
  .strictObject({
    run_ids: z
      .array(RunId, { error: 'must be an array of run ids' })
      .min(1, { error: 'must name at least one run' })
      .max(100, { error: 'at most 100 run ids' }),
    wait: integer(0, 20).optional().meta({
      description:
        'Hold the reply until all are final (finished, and a stopped run with its exit status once that is in) or this many seconds pass',
    }),
    poll_interval: integer(1, 10).optional().meta({ description: 'Seconds between looks while waiting (default 1)' }),
  })
  .meta({ id: 'RunStatusesRequest' });

/** A point in time as a query parameter: ISO-8601 or epoch milliseconds. */
const timeMessage = 'must be an ISO-8601 time or epoch milliseconds';
const TimeParam = fromText(
  (text) => (/^\d{1,15}$/.test(text) ? Number(text) : text),
  z.union([z.number().int().min(0), z.string().regex(/^\d{4}-\d\d-\d\dT/)], { error: timeMessage }),
)
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? value : Date.parse(value);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: timeMessage });
      return z.NEVER;
    }
    return new Date(ms);
  })
  .meta({
    anyOf: [
      { type: 'string', format: 'date-time' },
      { type: 'integer', minimum: 0 },
    ],
    example: '2026-11-22T10:15:30.123Z',
  } as Record<string, unknown>);

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** A duration back from now: 30s, 15m, 2h, 7d. */
const DurationParam = z
  .string()
  .regex(/^\d{1,6}[smhd]$/, { error: 'must be a duration such as 30s, 15m, 2h or 7d' })
  .transform((text) => Number(text.slice(0, -1)) * UNIT_MS[text.at(-1) as keyof typeof UNIT_MS]);

/** A time window: `since` (back from now) or `start`, and `end`; logs and metrics read the same way. */
export const windowFields = {
  since: DurationParam.optional().meta({ description: 'A duration back from now (30s, 15m, 2h, 7d)', example: '15m' }),
  start: TimeParam.optional().meta({ description: 'ISO-8601 or epoch ms; not with since' }),
  end: TimeParam.optional().meta({ description: 'ISO-8601 or epoch ms' }),
};

export function checkWindow(
  query: { since?: number | undefined; start?: Date | undefined; end?: Date | undefined },
  ctx: z.RefinementCtx,
): void {
  if (query.since !== undefined && query.start !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['since'], message: 'give since or start, not both' });
  }
  if (query.start && query.end && query.end < query.start)
    ctx.addIssue({ code: 'custom', path: ['end'], message: 'is before start' });
}

export const LogsQuery = z
  .strictObject({
    ...windowFields,
    limit: integerParam(1, 10_000)
      .optional()
      .default(100)
      .meta({ description: 'Lines per page, 1-10000 (default 100)' }),
    filter: z.string().min(1).max(1024).optional().meta({ description: 'Only lines containing this text' }),
    attempt: integerParam(1, 11).optional().meta({ description: 'Only lines of this attempt (1 for the first)' }),
    task: integerParam(0, 9_999)
      .optional()
      .meta({ description: 'Only lines of this task (0 until a run has several)' }),
    cursor: z
      .string()
      .min(1)
      .max(2048)
      .optional()
      .meta({ description: 'The next_cursor of the previous reply: the lines after it' }),
    wait: integerParam(0, 20)
      .optional()
      .default(0)
      .meta({ description: 'Seconds (0-20) to hold a reply with no line until a line is written or the run finishes' }),
  })
  .superRefine(checkWindow);

export const MetricsQuery = z
  .strictObject({
    names: z
      .string()
      .regex(/^[a-z0-9_]{1,64}(,[a-z0-9_]{1,64}){0,19}$/, {
        error: 'must be a comma-separated list of metric names, such as cpu_usage,memory_usage',
      })
      .optional()
      .default('cpu_usage,memory_usage')
      .transform((names) => names.split(','))
      .meta({
        description: 'cpu_usage (cores, average across running instances), memory_usage (bytes, total across them)',
      }),
    ...windowFields,
    period: integerParam(1, 86_400)
      .optional()
      .meta({ description: 'Seconds per point; by default the window fits in about 1,440 points' }),
  })
  .superRefine(checkWindow);

const MetricPointSchema = z.strictObject({ timestamp: Timestamp, value: z.number() });

export const MetricsSchema = z
  .record(
    z.string(),
    z.union([
      z.strictObject({ status: z.literal('success'), unit: z.string(), points: z.array(MetricPointSchema) }),
      z.strictObject({ status: z.literal('error'), message: z.string() }),
    ]),
  )
  .meta({ id: 'Metrics' });

const taskCount = z.number().int().min(0);
export const TaskCountsSchema = z
  .strictObject({
    count: taskCount,
    pending: taskCount,
    running: taskCount,
    succeeded: taskCount,
    failed: taskCount,
    cancelled: taskCount,
  })
  .meta({
    id: 'TaskCounts',
    description: "The run's tasks by status; count is 1 unless the run is split into several",
  });

/** Any JSON value a run printed as `::output::<JSON>`; null when none. */
const RunOutput = z.unknown().meta({
  description:
    'What the run set by printing one line `::output::<JSON>` on stdout (at most 4 KiB; the last one wins); null when none, or when it was not JSON (a line of the run log says so)',
  example: { rows: 1200 },
});

export const RunSchema = z
  .strictObject({
    id: RunId,
    job_id: JobId,
    job_revision: z
      .number()
      .int()
      .min(1)
      .nullable()
      .meta({ description: "The job's revision the run was made from (null for runs older than revisions)" }),
    workspace_id: WorkspaceId,
    project_id: ProjectId,
    status: z.enum(RUN_STATUSES),
    trigger: z.enum(TRIGGERS),
    priority: z.number().int().min(0).max(100).meta({ description: "The job's priority, or its trigger's" }),
    attempt: z.number().int().min(0),
    scheduled_for: Timestamp.nullable(),
    created_at: Timestamp,
    started_at: Timestamp.nullable(),
    finished_at: Timestamp.nullable(),
    duration_ms: z.number().int().min(0).nullable(),
    exit_code: z.number().int().nullable().meta({
      description:
        "The container's exit status (128+N when killed by signal N: 143 after SIGTERM, 137 after SIGKILL); null until known",
    }),
    error: z.string().nullable(),
    overrides: z.strictObject({
      command: z.array(z.string()).nullable(),
      env: z.record(z.string(), z.literal(REDACTED)).meta({
        description: `The variables this run overrode, each shown as ${REDACTED}: values are never shown again`,
      }),
    }),
    image: z.string(),
    command: z.array(z.string()),
    secrets: z.array(z.string()).meta({
      description: 'The variables this run takes from secrets, by name only: their values are never shown',
      example: ['DB_PASSWORD'],
    }),
    usage: z.strictObject({ cpu_seconds: z.number().nullable(), peak_memory_bytes: z.number().nullable() }).nullable(),
    backend: z.strictObject({
      runner: z.enum(RUNNER_KINDS),
      task: z
        .string()
        .nullable()
        .meta({ description: "Of a run of several tasks: the first task's (each task's is in its task list)" }),
      execution: z.string().nullable(),
      task_role: z
        .strictObject({
          arn: z.string(),
          assumed: z.boolean().meta({
            description: 'true: its tasks ran as this role (AWS); false: recorded only (local mode runs as its host)',
          }),
        })
        .nullable()
        .meta({ description: "The job's task_role when it was triggered" }),
    }),
    tasks: TaskCountsSchema,
    parallelism: z.number().int().min(1).meta({ description: 'At most this many of its tasks run at once' }),
    output: RunOutput,
    caused_by: z
      .strictObject({ job_id: JobId, run_id: RunId })
      .nullable()
      .meta({ description: "The run whose end started it (trigger dependency: its job's run_after); null otherwise" }),
    queue: z
      .strictObject({
        position: z.number().int().min(1).meta({ description: "Its place in its workspace's queue (1: next)" }),
        reason: z.string().meta({ example: 'project acme/etl is at its limit of 2 running tasks' }),
        since: Timestamp,
      })
      .nullable()
      .meta({
        description: 'While it waits for a limit to have room; null once it runs (and while it is not waiting)',
      }),
  })
  .meta({ id: 'Run' });

export const RunTaskSchema = z
  .strictObject({
    index: z.number().int().min(0).meta({ description: 'JOBS_TASK_INDEX of its container' }),
    status: z.enum(RUN_STATUSES),
    attempt: z.number().int().min(0),
    exit_code: z.number().int().nullable(),
    started_at: Timestamp.nullable(),
    finished_at: Timestamp.nullable(),
    error: z.string().nullable(),
    task: z
      .string()
      .nullable()
      .meta({ description: 'The ECS task ARN, container id or process id of its latest attempt' }),
    output: RunOutput,
  })
  .meta({ id: 'RunTask' });

export const RunTasksQuery = PageQuery;

export const RunStatusesSchema = z
  .record(
    z.string(),
    z.strictObject({
      id: z.string(),
      status: z.union([z.enum(RUN_STATUSES), z.literal('not_found')]),
      exit_code: z.number().int().nullable(),
      error: z.string().nullable(),
      output: RunOutput,
    }),
  )
  .meta({ id: 'RunStatuses' });

const count = z.number().int().min(0);

export const JobStatusSchema = z
  .strictObject({
    latest_run: orNull(RunSchema).meta({ description: 'null until the job has run' }),
    counts: z.strictObject({
      pending: count,
      running: count,
      succeeded: count,
      failed: count,
      cancelled: count,
      total: count.meta({ description: 'Every run ever made' }),
      retained: count.meta({ description: "Runs kept by the job's history limits" }),
    }),
    schedule: z
      .strictObject({
        cron: z.string(),
        timezone: z.string(),
        jitter_seconds: z.number().int().meta({
          description: "Each fire may start up to this many seconds after its time (the job's schedule_jitter_seconds)",
        }),
        suspended: z.boolean(),
        suspended_reason: z.string().nullable().meta({
          description: 'Why the service suspended the schedule (alerts.pause_after_failures); null otherwise',
          example: 'paused after 3 runs in a row failed (pause_after_failures: 3)',
        }),
        next_fire_at: Timestamp.nullable(),
        last_fired_at: Timestamp.nullable().meta({
          description: 'The scheduled time of the last fire that made a run',
        }),
        last_skipped_at: Timestamp.nullable().meta({
          description: 'The scheduled time of the last fire skipped because a run was active (forbid)',
        }),
        last_missed_at: Timestamp.nullable().meta({
          description: 'The scheduled time of the last fire told missed (schedule.missed)',
        }),
      })
      .nullable(),
    health: z
      .strictObject({
        window_days: z.number().int(),
        runs: count.meta({ description: 'Runs that finished in the window' }),
        success_rate: z
          .number()
          .min(0)
          .max(1)
          .nullable()
          .meta({ description: 'succeeded ÷ (succeeded + failed) in the window; null when none finished so' }),
        duration_ms: z
          .strictObject({ p50: z.number().int().nullable(), p95: z.number().int().nullable() })
          .meta({ description: 'Of the runs that succeeded or failed in the window (within ±5 %)' }),
        last_success_at: Timestamp.nullable(),
        last_failure_at: Timestamp.nullable(),
        consecutive_failures: count.meta({ description: 'Failures in a row since the last success' }),
      })
      .meta({ description: 'How the job has done over the last window_days days' }),
  })
  .meta({ id: 'JobStatus' });

export const LogLineSchema = z
  .strictObject({
    timestamp: Timestamp,
    run_id: RunId,
    attempt: z.int().min(1).meta({ description: 'The attempt of the run that wrote it' }),
    task_index: z.int().min(0).meta({ description: 'The task of the run that wrote it (0 until a run has several)' }),
    stream: z.enum(['stdout', 'stderr']),
    message: z.string(),
  })
  .meta({ id: 'LogLine' });

/** A log reply's position: always a cursor, also after an empty page, so a follower loops on it. */
export const LOG_ENVELOPE = {
  next_cursor: z.string().meta({
    description: 'A position after the last line returned (also when none was): pass it as cursor for the lines after',
  }),
  more: z.boolean().meta({
    description:
      'Lines after next_cursor may already exist: the page was full, or the read stopped at its limit of work (a filter over a large log), ' +
      'so a page may hold fewer lines than limit, even none. Read on from next_cursor until more is false.',
  }),
};
export const RUN_LOG_ENVELOPE = {
  ...LOG_ENVELOPE,
  complete: z
    .boolean()
    .meta({ description: 'The run has finished and every line of it has been returned: a follower stops here' }),
  truncated: z.boolean().meta({
    description:
      "Some of the run's output was not kept (past its cap, or lost when the disk was full); a marker line in the log says what and why",
  }),
};

// The document's Run is the domain's run as shown, field for field; a stored run has exactly its fields.
export const RUN_IS_THE_DOMAINS: Same<z.output<typeof RunSchema>, PublicRun> = true;
export const RUN_TASK_IS_THE_DOMAINS: Same<z.output<typeof RunTaskSchema>, RunTask> = true;
// Every field is stored but the queue, which is read off admission as the run is shown.
export const RUN_FIELDS_ARE_ALL: Same<
  (typeof RUN_FIELDS)[number],
  Exclude<keyof z.output<typeof RunSchema>, 'queue'>
> = true;
export const JOB_STATUS_IS_THE_DOMAINS: Same<
  z.output<typeof JobStatusSchema>,
  Omit<JobStatus, 'latest_run'> & { latest_run: PublicRun | null }
> = true;
export const LOG_LINE_IS_THE_DOMAINS: Same<z.output<typeof LogLineSchema>, LogLine> = true;

const BackfillTime = z
  .string({ error: 'must be an ISO-8601 time, e.g. 2026-11-01T00:00:00Z' })
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/, {
    error: 'must be an ISO-8601 time with its offset, e.g. 2026-11-01T00:00:00Z',
  })
  .transform((text, ctx) => {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'is not a time' });
      return z.NEVER;
    }
    return new Date(ms);
  });

export const BackfillBody = z
  .strictObject({
    start: BackfillTime.meta({
      description: 'The first time of the range (included)',
      example: '2026-11-01T00:00:00Z',
    }),
    end: BackfillTime.meta({ description: 'The end of the range (excluded)', example: '2026-11-08T00:00:00Z' }),
    max_runs: integer(BACKFILL_MAX_RUNS.min, BACKFILL_MAX_RUNS.max)
      .optional()
      .meta({
        description: `At most this many runs (default ${BACKFILL_MAX_RUNS.default}): a range with more fires is refused, naming max_runs`,
      }),
  })
  .meta({ id: 'Backfill' });

export const BackfillQuery = z.strictObject({
  dry_run: booleanParam.optional().meta({ description: 'true: the fire times only; no run is made' }),
});

export const BackfillSchema = z
  .strictObject({
    fires: z.array(Timestamp).meta({ description: "The schedule's fires in [start, end), oldest first" }),
    runs: z.array(RunSchema).meta({
      description:
        'A run per fire (none on a dry run), each with trigger backfill and scheduled_for its fire; a fire that already has its run answers that run',
    }),
  })
  .meta({ id: 'BackfillResult' });
