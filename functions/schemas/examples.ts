// Example values for the OpenAPI document: one job, one run and their neighbours, consistent with each other and
// valid by the schemas they illustrate (the document's lint checks every example against its schema).
const JOB_ID = 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA';
const RUN_ID = 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H';

export const JOB_EXAMPLE = {
  id: JOB_ID,
  workspace_id: 'acme',
  project_id: 'etl',
  name: 'nightly-report',
  image: 'public.ecr.aws/docker/library/alpine:3.20',
  command: ['sh', '-c', 'echo hello'],
  env: { STAGE: 'prod' },
  secrets: { DB_PASSWORD: 'db-password' },
  registry_credentials: null,
  task_role: null,
  network: 'public' as const,
  schedule: '0 3 * * 1-5',
  timezone: 'Europe/Berlin',
  schedule_jitter_seconds: 0,
  suspended: false,
  tags: { team: 'data' },
  timeout_seconds: 3600,
  retries: 0,
  retry_rules: [],
  concurrency: 'allow',
  priority: 50,
  queue_timeout_seconds: 86400,
  cpu: 0.25,
  memory_mb: 512,
  history: { max_runs: 1000, max_age_days: 90 },
  tasks: 1,
  parallelism: 1,
  alerts: { consecutive_failures: 3, missed_schedule_seconds: 900 },
  run_after: [],
  created_at: '2026-11-22T10:15:30.123Z',
  updated_at: '2026-11-22T10:15:30.123Z',
  revision: 1,
};

/** The example job's first revision. */
export const REVISION_EXAMPLE = {
  revision: 1,
  created_at: JOB_EXAMPLE.created_at,
  actor: { key_id: 'key_01JD6P8Z0VQ5N7K3W2Y4T6R8M1', key_name: 'ci' },
  spec: Object.fromEntries(
    Object.entries(JOB_EXAMPLE).filter(
      ([field]) => !['id', 'workspace_id', 'project_id', 'created_at', 'updated_at', 'revision'].includes(field),
    ),
  ),
};

/** What a create of the example job sends: its spec, the defaults left out. */
export const JOB_CREATE_EXAMPLE = (({ name, image, command, env, schedule, timezone, tags }) => ({
  name,
  image,
  command,
  env,
  schedule,
  timezone,
  tags,
}))(JOB_EXAMPLE);

export const RUN_EXAMPLE = {
  id: RUN_ID,
  job_id: JOB_ID,
  job_revision: 1,
  workspace_id: 'acme',
  project_id: 'etl',
  status: 'succeeded',
  trigger: 'manual',
  priority: 50,
  attempt: 1,
  scheduled_for: null,
  created_at: '2026-11-22T10:16:00.000Z',
  started_at: '2026-11-22T10:16:00.412Z',
  finished_at: '2026-11-22T10:16:05.535Z',
  duration_ms: 5123,
  exit_code: 0,
  error: null,
  overrides: { command: null, env: { DRY_RUN: '***' } },
  image: 'public.ecr.aws/docker/library/alpine:3.20',
  command: ['sh', '-c', 'echo hello'],
  secrets: ['DB_PASSWORD'],
  usage: { cpu_seconds: 1.8, peak_memory_bytes: 52428800 },
  backend: { runner: 'process', task: 'pid 4242', execution: RUN_ID, task_role: null },
  tasks: { count: 1, pending: 0, running: 0, succeeded: 1, failed: 0, cancelled: 0 },
  parallelism: 1,
  caused_by: null,
  queue: null,
};

export const CANCELLED_RUN_EXAMPLE = {
  ...RUN_EXAMPLE,
  status: 'cancelled',
  finished_at: '2026-11-22T10:16:02.001Z',
  duration_ms: 1589,
  exit_code: 143,
  error: 'cancelled (graceful)',
  usage: { cpu_seconds: 0.02, peak_memory_bytes: 3145728 },
  tasks: { count: 1, pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 1 },
};

export const PENDING_RUN_EXAMPLE = {
  ...RUN_EXAMPLE,
  status: 'pending',
  attempt: 0,
  started_at: null,
  finished_at: null,
  duration_ms: null,
  exit_code: null,
  usage: null,
  backend: { runner: 'process', task: null, execution: RUN_ID, task_role: null },
  tasks: { count: 1, pending: 1, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
};

export const JOB_STATUS_EXAMPLE = {
  latest_run: RUN_EXAMPLE,
  counts: { pending: 0, running: 0, succeeded: 41, failed: 2, cancelled: 1, total: 44, retained: 44 },
  schedule: {
    cron: '0 3 * * 1-5',
    timezone: 'Europe/Berlin',
    jitter_seconds: 0,
    suspended: false,
    suspended_reason: null,
    next_fire_at: '2026-11-23T02:00:00.000Z',
    last_fired_at: '2026-11-22T02:00:00.000Z',
    last_skipped_at: null,
    last_missed_at: null,
  },
  health: {
    window_days: 7,
    runs: 5,
    success_rate: 0.8,
    duration_ms: { p50: 41_200, p95: 63_900 },
    last_success_at: '2026-11-22T02:00:48.000Z',
    last_failure_at: '2026-11-19T02:01:05.000Z',
    consecutive_failures: 0,
  },
};

export const LOG_LINE_EXAMPLE = {
  timestamp: '2026-11-22T10:16:00.500Z',
  run_id: RUN_ID,
  attempt: 1,
  task_index: 0,
  stream: 'stdout',
  message: 'hello',
};
/** What the local host returns after that line (opaque to clients: only ever passed back). */
export const LOG_CURSOR_EXAMPLE =
  'eyJsIjoicnVuXzAxSkQ2UjBHMk00UzhWMVgzWjVCN0Q5RjFIIiwidCI6IjIwMjYtMTEtMjJUMTA6MTY6MDAuNTAwWiIsInIiOiJydW5fMDFKRDZSMEcyTTRTOFYxWDNaNUI3RDlGMUgiLCJuIjowLCJiIjoxMTh9';

export const METRICS_EXAMPLE = {
  cpu_usage: { status: 'success', unit: 'cores', points: [{ timestamp: '2026-11-22T10:16:00.000Z', value: 0.21 }] },
  memory_usage: {
    status: 'success',
    unit: 'bytes',
    points: [{ timestamp: '2026-11-22T10:16:00.000Z', value: 52428800 }],
  },
};

export const KEY_EXAMPLE = {
  id: 'key_01JD6S2B4D6F8H0J2K4M6N8P0Q',
  name: 'ci',
  role: 'writer',
  workspaces: ['acme'],
  created_at: '2026-11-22T10:15:30.123Z',
};

export const WEBHOOK_EXAMPLE = {
  id: 'wh_01JD6T0G2M4S8V1X3Z5B7D9F1H',
  workspace_id: 'acme',
  project_id: 'etl',
  url: 'https://hooks.example.com/jobs',
  events: ['run.failed', 'schedule.skipped'],
  job_id: null,
  description: 'on-call',
  enabled: true,
  disabled_reason: null,
  created_at: '2026-11-22T10:15:30.123Z',
  updated_at: '2026-11-22T10:15:30.123Z',
};
export const DELIVERY_EXAMPLE = {
  id: 'dlv_01JD6R0G2M4S8V1X3Z5B7D9F1K',
  webhook_id: WEBHOOK_EXAMPLE.id,
  event_id: 'evt_01JD6R0G2M4S8V1X3Z5B7D9F1K',
  event_type: 'run.failed',
  status: 'pending',
  attempts: 1,
  last_status_code: 503,
  last_error: 'the receiver answered 503',
  next_attempt_at: '2026-11-22T10:16:05.500Z',
  created_at: '2026-11-22T10:16:00.500Z',
};
export const WEBHOOK_SECRET_EXAMPLE = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export const HEALTH_EXAMPLE = { status: 'ok', version: '0.1.0', checks: { dynamodb: 'ok' } };

export const EXAMPLE_IDS = { job_id: JOB_ID, run_id: RUN_ID };

export const SECRET_EXAMPLE = {
  workspace_id: 'acme',
  project_id: 'etl',
  name: 'db-password',
  version: 3,
  source: 'stored' as const,
  created_at: '2026-11-20T09:00:00.000Z',
  updated_at: '2026-12-01T09:00:00.000Z',
  used_by: [JOB_ID],
};

export const WORKSPACE_SETTINGS_EXAMPLE = {
  limits: { running_tasks: 50, cpu: 32 },
  task_roles: ['arn:aws:iam::123456789012:role/jobs-tasks/etl'],
  linked_secret_arns: ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:team-a/*'],
};

export const PROJECT_SETTINGS_EXAMPLE = { limits: { running_tasks: 10, cpu: 4 }, weight: 1 };

/** A change of the example job, as the workspace's audit log tells it. */
export const AUDIT_EXAMPLE = {
  id: 'aud_01JD6R5V8X2B4N6P8R0T2V4X6Z',
  time: '2026-11-22T10:20:00.000Z',
  workspace_id: 'acme',
  actor: { key_id: 'key_01JD6P8Z0VQ5N7K3W2Y4T6R8M1', key_name: 'ci', role: 'writer' as const },
  action: 'job.update' as const,
  target: { project_id: 'etl', job_id: JOB_ID },
  request_id: 'f2b9c0de-6a1f-4c1e-9a53-3b2f7d8e1a40',
  source_ip: '203.0.113.7',
  changes: { schedule: ['0 3 * * 1-5', '30 4 * * *'], revision: [1, 2] },
};
