// The job resource: its request bodies, list query and response shape.
import * as z from 'zod';
import { canonicalTimeZone, validateSchedule } from '../core/cron.ts';
import { ValidationError } from '../core/errors.ts';
import {
  RETRY_ACTIONS,
  CONCURRENCY_POLICIES,
  DEFAULTS,
  FARGATE_CPUS,
  LIMITS,
  NAME_PATTERN,
  NETWORKS,
  ENV_NAME_PATTERN,
  TAG_KEY_PATTERN,
  envErrors,
  IMAGE_REFERENCE,
  MAX_IMAGE_LENGTH,
  tagErrors,
} from '../core/job-spec.ts';
import { JOB_SPEC_FIELDS, type Job, type JobSpec } from '../core/jobs.ts';
import { ALERT_LIMITS, ALERT_RULES, type AlertRule } from '../core/alert-rules.ts';
import { CHAIN_CONDITIONS, MAX_RUN_AFTER } from '../core/chains.ts';
import { REFERENCE_PATTERN, SECRET_LIMITS, SECRET_NAME_PATTERN } from '../core/secrets.ts';
import { RoleArn } from './settings.ts';
import {
  JobId,
  JobPath,
  PageQuery,
  ProjectId,
  Timestamp,
  WorkspaceId,
  booleanParam,
  integer,
  integerParam,
  type Same,
} from './common.ts';

/** Adds the core's field errors to a zod context; paths are relative to the value being refined. */
function addCoreErrors(ctx: z.RefinementCtx, errors: Array<{ field: string; message: string }>, base: string) {
  for (const error of errors) {
    const rest = error.field === base ? [] : [error.field.slice(base.length + 1)];
    ctx.addIssue({ code: 'custom', message: error.message, path: rest });
  }
}

export const JobName = z
  .string()
  .regex(NAME_PATTERN, { error: 'must be 1-128 characters of ASCII letters, digits, space, . _ -' });

const imageMessage = 'must be an OCI image reference such as public.ecr.aws/docker/library/alpine:3.20';
export const Image = z
  .string({ error: imageMessage })
  .max(MAX_IMAGE_LENGTH, { error: imageMessage })
  .regex(IMAGE_REFERENCE, { error: imageMessage })
  .meta({
    description: 'An OCI image reference: [registry[:port]/]repository[:tag][@digest]',
    example: 'public.ecr.aws/docker/library/alpine:3.20',
  });

export const Command = z
  .union(
    [
      z
        .array(z.string().max(32_768), { error: 'must be an array of strings or a string' })
        .min(1, { error: 'must not be empty' })
        .max(LIMITS.commandItems),
      z.string().min(1, { error: 'must not be empty' }).max(32_768),
    ],
    { error: (issue) => (issue.input === undefined ? 'is required' : 'must be an array of strings or a string') },
  )
  .meta({ description: 'Exec form; a string runs as ["/bin/sh", "-c", string]', example: ['sh', '-c', 'echo hello'] });

export const Env = z
  .record(z.string(), z.string({ error: 'must be a string' }))
  .superRefine((env, ctx) => addCoreErrors(ctx, envErrors(env), 'env'))
  .meta({
    description: `Environment variables (names are shell names; at most ${LIMITS.envCount}, ${LIMITS.envBytes / 1024} KiB in all)`,
    propertyNames: { pattern: ENV_NAME_PATTERN.source },
    maxProperties: LIMITS.envCount,
    example: { STAGE: 'prod' },
  } as Record<string, unknown>);

export const SecretName = z
  .string({ error: 'must be a secret name' })
  .regex(SECRET_NAME_PATTERN, { error: 'must be 1-128 characters of ASCII letters, digits, _ . -' })
  .meta({ example: 'db-password' });

export const JobSecrets = z
  .record(z.string(), z.string({ error: 'must be a string: a secret name, or name#key' }))
  .meta({
    description: `Variables whose values are secrets of the project: a name, or name#key for one key of a JSON value (at most ${SECRET_LIMITS.perJob}). Each attempt reads the current value as its container starts; a variable cannot also be in env`,
    propertyNames: { pattern: ENV_NAME_PATTERN.source },
    maxProperties: SECRET_LIMITS.perJob,
    additionalProperties: { type: 'string', pattern: REFERENCE_PATTERN.source },
    example: { DB_PASSWORD: 'db-password', API_TOKEN: 'vendor#token' },
  } as Record<string, unknown>);

export const RegistryCredentials = SecretName.meta({
  description: 'A secret of the project whose value is {"username", "password"}, used to pull the image',
  example: 'registry-login',
});

export const TaskRole = RoleArn.meta({
  description:
    "The IAM role the job's code runs as in AWS: one of its workspace's task_roles (locally recorded, not assumed)",
});

export const NetworkSchema = z.enum(NETWORKS, { error: `must be one of ${NETWORKS.join(', ')}` }).meta({
  description:
    "public: a public IP in the deployment's public subnets (default); private: the deployment's private subnets and security groups, no public IP; none: no network at all (locally --network none, refused for host processes; in AWS a security group with no egress)",
});

export const Tags = z
  .record(z.string(), z.string({ error: 'must be a string' }))
  .superRefine((tags, ctx) => addCoreErrors(ctx, tagErrors(tags), 'tags'))
  .meta({
    description: `At most ${LIMITS.tagCount}; a key is 1-${LIMITS.tagKeyLength} letters, digits, spaces or _ . / = + @ -, a value at most ${LIMITS.tagValueLength} characters`,
    propertyNames: { pattern: TAG_KEY_PATTERN.source },
    maxProperties: LIMITS.tagCount,
    additionalProperties: { type: 'string', maxLength: LIMITS.tagValueLength },
    example: { team: 'data' },
  } as Record<string, unknown>);

export const Schedule = z
  .string()
  .max(256)
  .superRefine((cron, ctx) => {
    try {
      validateSchedule(cron, 'UTC');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const e of error.errors) ctx.addIssue({ code: 'custom', message: e.message });
    }
  })
  .meta({ description: 'Standard 5-field cron or @hourly/@daily/@weekly/@monthly/@yearly', example: '0 3 * * 1-5' });

export const TimeZone = z
  .string()
  .max(64)
  .transform((name, ctx) => {
    try {
      return canonicalTimeZone(name);
    } catch {
      ctx.addIssue({ code: 'custom', message: `'${name}' is not an IANA time zone` });
      return z.NEVER;
    }
  })
  .meta({ description: 'IANA time zone name', example: 'Europe/Berlin' });

export const TimeoutSeconds = integer(LIMITS.timeoutSeconds.min, LIMITS.timeoutSeconds.max);
export const Priority = integer(LIMITS.priority.min, LIMITS.priority.max).meta({
  description: `When limits make runs wait, higher starts first, then the oldest (default ${DEFAULTS.priority})`,
  example: DEFAULTS.priority,
});
export const QueueTimeoutSeconds = integer(LIMITS.queueTimeoutSeconds.min, LIMITS.queueTimeoutSeconds.max).meta({
  description: `How long a run may wait to start; past it the run fails saying what it waited for (default ${DEFAULTS.queue_timeout_seconds})`,
  example: 600,
});
export const Retries = integer(LIMITS.retries.min, LIMITS.retries.max);
export const History = z
  .strictObject(
    {
      max_runs: integer(LIMITS.maxRuns.min, LIMITS.maxRuns.max)
        .optional()
        .meta({ description: `Newest finished runs kept (default ${DEFAULTS.history.max_runs})` }),
      max_age_days: integer(LIMITS.maxAgeDays.min, LIMITS.maxAgeDays.max)
        .optional()
        .meta({ description: `Days a finished run is kept (default ${DEFAULTS.history.max_age_days})` }),
    },
    { error: 'must be an object with max_runs and/or max_age_days' },
  )
  .meta({
    id: 'History',
    description:
      'A finished run beyond either limit is removed with its logs and metric samples; active runs never are',
  });

export const RetryRules = z
  .array(
    z.strictObject({
      exit_codes: z
        .array(integer(LIMITS.exitCode.min, LIMITS.exitCode.max), { error: 'must be a list of exit codes' })
        .min(1, { error: 'must name at least one exit code' })
        .max(LIMITS.exitCode.max + 1, { error: `must name at most ${LIMITS.exitCode.max + 1} exit codes` }),
      action: z.enum(RETRY_ACTIONS, { error: 'must be retry or fail' }),
    }),
    { error: 'must be a list of rules' },
  )
  .max(LIMITS.retryRules, { error: `must have at most ${LIMITS.retryRules} rules` })
  .meta({
    id: 'RetryRules',
    description:
      'First match wins: an attempt whose exit code a rule names is retried (while retries allow) or fails the run at once; one no rule names is retried while retries allow',
    example: [
      { exit_codes: [2, 64], action: 'fail' },
      { exit_codes: [137], action: 'retry' },
    ],
  });
export const Tasks = integer(LIMITS.tasks.min, LIMITS.tasks.max).meta({
  description: `Containers a run is split into, each with its JOBS_TASK_INDEX (0-based) and JOBS_TASK_COUNT (default ${DEFAULTS.tasks})`,
  example: 1,
});
export const Parallelism = integer(LIMITS.tasks.min, LIMITS.tasks.max).meta({
  description: 'At most this many tasks of a run run at once; 1 to tasks (default min(tasks, 10))',
  example: 1,
});
export const ConcurrencySchema = z.enum(CONCURRENCY_POLICIES, {
  error: `must be one of ${CONCURRENCY_POLICIES.join(', ')}`,
});
export const Cpu = z
  .number({ error: `must be one of ${FARGATE_CPUS.join(', ')}` })
  .refine((cpu) => FARGATE_CPUS.includes(cpu), { error: `must be one of ${FARGATE_CPUS.join(', ')}` })
  .meta({
    description:
      "Fargate vCPU (default 0.25). memory_mb must be a size Fargate pairs with it; given without memory_mb, the smallest size it pairs with (0.25: 512, 0.5: 1024, 1: 2048, 2: 4096, 4: 8192, 8: 16384, 16: 32768), or on a PATCH the job's own size where it still pairs",
    enum: FARGATE_CPUS,
    example: 0.25,
  } as Record<string, unknown>);
export const MemoryMb = integer(512, 122_880).meta({
  description:
    "MiB (default 512), a size Fargate pairs with cpu: 0.25: 512, 1024 or 2048; 0.5: 1024-4096 in steps of 1024; 1: 2048-8192 and 2: 4096-16384 and 4: 8192-30720 in steps of 1024; 8: 16384-61440 in steps of 4096; 16: 32768-122880 in steps of 8192. Given without cpu, the smallest cpu it pairs with, or on a PATCH the job's own cpu where it still pairs",
  example: 512,
});

const Suspended = z.boolean({ error: 'must be true or false' });
export const ScheduleJitterSeconds = integer(LIMITS.scheduleJitterSeconds.min, LIMITS.scheduleJitterSeconds.max).meta({
  description: `Each fire may start up to this many seconds after its time (default ${DEFAULTS.schedule_jitter_seconds}), so many jobs on one cron do not all start at once; in AWS the scheduler's flexible time window (this rounded up to minutes)`,
  example: 300,
});

const ALERT_DESCRIPTIONS: Record<AlertRule, string> = {
  consecutive_failures: 'job.failing when this many runs in a row have failed; job.recovered at the next success',
  missed_schedule_seconds: 'schedule.missed when a fire has made no run this many seconds after its time',
  max_duration_seconds: 'run.slow, once a run, when a run is still running this many seconds after it started',
  pause_after_failures:
    "job.paused: the schedule is suspended after this many failures in a row, saying why in the job's status",
};
const alertRule = (rule: AlertRule) =>
  integer(ALERT_LIMITS[rule].min, ALERT_LIMITS[rule].max).meta({ description: ALERT_DESCRIPTIONS[rule] });
const alertFields = <T extends z.ZodType>(field: (rule: AlertRule) => T) =>
  Object.fromEntries(ALERT_RULES.map((rule) => [rule, field(rule)])) as Record<AlertRule, T>;

export const Alerts = z
  .strictObject(
    alertFields((rule) => alertRule(rule).optional()),
    { error: `must be an object of ${ALERT_RULES.join(', ')}` },
  )
  .meta({
    id: 'Alerts',
    description: 'What to be told of, as events delivered like the others (webhooks, EventBridge); each rule set is on',
    example: { consecutive_failures: 3, missed_schedule_seconds: 600, max_duration_seconds: 3600 },
  });
export const RunAfterSchema = z
  .array(
    z.strictObject({
      job: z
        .string({ error: 'must be the name or id of a job of the project' })
        .min(1, { error: 'must be the name or id of a job of the project' })
        .max(128)
        .meta({ description: 'A job of the same project, by name or id' }),
      on: z.enum(CHAIN_CONDITIONS, { error: `must be one of ${CHAIN_CONDITIONS.join(', ')}` }).meta({
        description: 'succeeded, failed, or finished (either, or cancelled)',
      }),
    }),
    { error: 'must be a list of {job, on}' },
  )
  .max(MAX_RUN_AFTER, { error: `must have at most ${MAX_RUN_AFTER} entries` })
  .meta({
    id: 'RunAfter',
    description:
      'When a run of one of these jobs ends so, a run of this job starts (trigger dependency, caused_by that run), once per ending; a cycle is refused naming its jobs',
    example: [{ job: 'extract', on: 'succeeded' }],
  });

/** A PATCH merges: a rule given is set, one set to null is turned off, one left out stays. */
const AlertsPatch = z
  .strictObject(
    alertFields((rule) => alertRule(rule).nullable().optional()),
    { error: `must be an object of ${ALERT_RULES.join(', ')}` },
  )
  .meta({ id: 'AlertsPatch', description: "Merged into the job's alerts: null turns a rule off" });

export const JobCreateBody = z
  .strictObject({
    name: JobName,
    image: Image,
    command: Command,
    env: Env.optional(),
    secrets: JobSecrets.optional(),
    registry_credentials: RegistryCredentials.nullable().optional(),
    task_role: TaskRole.nullable().optional(),
    network: NetworkSchema.optional(),
    schedule: Schedule.nullable().optional(),
    timezone: TimeZone.optional(),
    schedule_jitter_seconds: ScheduleJitterSeconds.optional(),
    suspended: Suspended.optional(),
    tags: Tags.optional(),
    timeout_seconds: TimeoutSeconds.optional(),
    retries: Retries.optional(),
    retry_rules: RetryRules.optional(),
    concurrency: ConcurrencySchema.optional(),
    priority: Priority.optional(),
    queue_timeout_seconds: QueueTimeoutSeconds.optional(),
    cpu: Cpu.optional(),
    memory_mb: MemoryMb.optional(),
    history: History.optional(),
    tasks: Tasks.optional(),
    parallelism: Parallelism.optional(),
    alerts: Alerts.optional(),
    run_after: RunAfterSchema.optional(),
  })
  .meta({ id: 'JobCreate' });

/**
 * A job file, as `jobsctl plan` and `apply` read it: a job's create body, with the workspace and project it goes in
 * (the CLI's own when left out). Its JSON Schema is in the OpenAPI document and `jobsctl schema` writes it, so an
 * editor validates a file as it is typed (`# yaml-language-server: $schema=job.schema.json`).
 */
export const JobFileSchema = JobCreateBody.extend({
  workspace: WorkspaceId.optional().meta({ description: "The job's workspace (default: the CLI's)" }),
  project: ProjectId.optional().meta({ description: "The job's project (default: the CLI's)" }),
}).meta({ id: 'JobFile', description: 'A job as a file of jobs as code: its spec, and where it goes' });

/** Every field optional; the optional ones also take null, which resets them to their default. */
export const JobPatchBody = z
  .strictObject({
    name: JobName.optional(),
    image: Image.optional(),
    command: Command.optional(),
    env: Env.nullable().optional(),
    secrets: JobSecrets.nullable().optional(),
    registry_credentials: RegistryCredentials.nullable().optional(),
    task_role: TaskRole.nullable().optional(),
    network: NetworkSchema.nullable().optional(),
    schedule: Schedule.nullable().optional(),
    timezone: TimeZone.nullable().optional(),
    schedule_jitter_seconds: ScheduleJitterSeconds.nullable().optional(),
    suspended: Suspended.nullable().optional(),
    tags: Tags.nullable().optional(),
    timeout_seconds: TimeoutSeconds.nullable().optional(),
    retries: Retries.nullable().optional(),
    retry_rules: RetryRules.nullable().optional(),
    concurrency: ConcurrencySchema.nullable().optional(),
    priority: Priority.nullable().optional(),
    queue_timeout_seconds: QueueTimeoutSeconds.nullable().optional(),
    cpu: Cpu.nullable().optional(),
    memory_mb: MemoryMb.nullable().optional(),
    history: History.nullable().optional(),
    tasks: Tasks.nullable().optional(),
    parallelism: Parallelism.nullable().optional(),
    alerts: AlertsPatch.nullable().optional(),
    run_after: RunAfterSchema.nullable().optional(),
  })
  .meta({ id: 'JobPatch' });

const TagFilter = z
  .string()
  .regex(/^[^:]+:/, { error: 'must be key:value' })
  .transform((text) => {
    const at = text.indexOf(':');
    return [text.slice(0, at), text.slice(at + 1)] as const;
  });

export const JobListQuery = PageQuery.extend({
  tag: z
    .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(TagFilter).max(LIMITS.tagCount))
    .optional()
    .transform((tags) => tags ?? [])
    .meta({ description: 'key:value; repeat to require several tags', example: ['team:data'] }),
  scheduled: booleanParam
    .optional()
    .meta({ description: 'true: only jobs with a schedule; false: only on-demand jobs' }),
});

export const JobSchema = z
  .strictObject({
    id: JobId,
    workspace_id: WorkspaceId,
    project_id: ProjectId,
    name: z.string(),
    image: z.string(),
    command: z.array(z.string()),
    env: z.record(z.string(), z.string()),
    secrets: z.record(z.string(), z.string()),
    registry_credentials: z.string().nullable(),
    task_role: z.string().nullable(),
    network: z.enum(NETWORKS).meta({ default: DEFAULTS.network }),
    schedule: z.string().nullable(),
    timezone: z.string().meta({ default: DEFAULTS.timezone }),
    schedule_jitter_seconds: z.number().int().meta({ default: DEFAULTS.schedule_jitter_seconds }),
    suspended: z.boolean(),
    tags: z.record(z.string(), z.string()),
    timeout_seconds: z.number().int(),
    retries: z.number().int(),
    retry_rules: z.array(z.strictObject({ exit_codes: z.array(z.number().int()), action: z.enum(RETRY_ACTIONS) })),
    concurrency: z.enum(CONCURRENCY_POLICIES),
    priority: z.number().int().min(LIMITS.priority.min).max(LIMITS.priority.max),
    queue_timeout_seconds: z.number().int(),
    cpu: Cpu,
    memory_mb: z.number().int(),
    history: z.strictObject({ max_runs: z.number().int(), max_age_days: z.number().int() }),
    tasks: z.number().int().min(LIMITS.tasks.min).max(LIMITS.tasks.max),
    parallelism: z.number().int().min(LIMITS.tasks.min).max(LIMITS.tasks.max),
    alerts: z.strictObject(alertFields(() => z.number().int().optional())).meta({ description: "The job's alerts" }),
    run_after: z.array(z.strictObject({ job: z.string(), on: z.enum(CHAIN_CONDITIONS) })),
    created_at: Timestamp,
    updated_at: Timestamp,
    revision: z
      .number()
      .int()
      .min(1)
      .meta({ description: '1 at create, one more for each change of the spec; GET sends it as the ETag' }),
  })
  .meta({ id: 'Job' });

// The document's Job is the domain's Job, field for field; the spec fields are the create body's.
export const JOB_IS_THE_DOMAINS: Same<z.output<typeof JobSchema>, Job> = true;
export const JOB_SPEC_IS_THE_DOMAINS: Same<keyof z.output<typeof JobCreateBody>, keyof JobSpec> = true;
export const JOB_SPEC_FIELDS_ARE_ALL: Same<(typeof JOB_SPEC_FIELDS)[number], keyof JobSpec> = true;

/** `If-Match: "<revision>"` (an ETag a GET sent; the quotes may be left out). */
export const IfMatchHeaders = z.object({
  'if-match': z
    .string()
    .regex(/^(W\/)?"?[1-9]\d{0,8}"?$/, { error: 'must be the job\'s ETag, "<revision>", e.g. "3"' })
    .transform((value) => Number(value.replace(/^W\//, '').replaceAll('"', '')))
    .optional()
    .meta({
      description: 'The revision the change is made against (the ETag a GET sent): 412 if the job changed since',
    }),
});

const SPEC_FIELDS = Object.fromEntries(JOB_SPEC_FIELDS.map((field) => [field, true])) as {
  [F in (typeof JOB_SPEC_FIELDS)[number]]: true;
};

export const RevisionPath = JobPath.extend({
  revision: integerParam(1, 999_999_999).meta({ description: 'A revision number of the job' }),
});

export const JobRevisionSchema = z
  .strictObject({
    revision: z.number().int().min(1),
    created_at: Timestamp,
    actor: z.strictObject({ key_id: z.string(), key_name: z.string() }).meta({ description: 'The key that made it' }),
    spec: JobSchema.pick(SPEC_FIELDS).meta({ description: "The job's spec as it was at this revision" }),
  })
  .meta({ id: 'JobRevision' });
