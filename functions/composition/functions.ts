// Every function of the service, once: what it is for and what it uses. The stack derives each function's
// settings and permissions from `uses` and nothing else, and the AWS platform builds only the adapters a
// function declares, so a function is never given a variable or a permission for something it does not call.
import type { HttpGroup } from '../api/routes.ts';

/** What a function may use: an adapter, with the kind of access it needs where that differs between callers. */
export type Use =
  | 'table:read'
  | 'table:write'
  | 'table:batch-delete'
  | 'admin-key'
  | 'executions:start'
  | 'executions:stop'
  | 'executions:describe'
  | 'container-logs:read'
  | 'container-logs:delete'
  | 'container-logs:write'
  | 'schedules'
  | 'task-definitions'
  | 'container-metrics'
  | 'events:put'
  | 'deliveries:enqueue'
  | 'secret-values:read'
  | 'secret-values:write'
  | 'admission';

/** The settings each use needs, by the environment variable that carries it. */
export const SETTINGS = {
  table: 'JOBS_TABLE_NAME',
  adminKey: 'JOBS_ADMIN_KEY_SECRET_ARN',
  stateMachine: 'JOBS_STATE_MACHINE_ARN',
  containerLogGroup: 'JOBS_CONTAINER_LOG_GROUP',
  cluster: 'JOBS_CLUSTER_NAME',
  taskExecutionRole: 'JOBS_TASK_EXECUTION_ROLE_ARN',
  taskRole: 'JOBS_TASK_ROLE_ARN',
  scheduleGroup: 'JOBS_SCHEDULE_GROUP',
  schedulerTarget: 'JOBS_SCHEDULER_TARGET_ARN',
  schedulerRole: 'JOBS_SCHEDULER_ROLE_ARN',
  schedulerDeadLetters: 'JOBS_SCHEDULER_DLQ_ARN',
  eventBus: 'JOBS_EVENT_BUS_NAME',
  deliveryQueue: 'JOBS_DELIVERY_QUEUE_URL',
  secretPrefix: 'JOBS_SECRET_PREFIX',
  taskNetworks: 'JOBS_TASK_NETWORKS',
  launchRate: 'JOBS_LAUNCH_RATE',
} as const;
export type Setting = (typeof SETTINGS)[keyof typeof SETTINGS];

const S = SETTINGS;
export const USE_SETTINGS: Record<Use, readonly Setting[]> = {
  'table:read': [S.table],
  'table:write': [S.table],
  'table:batch-delete': [S.table],
  'admin-key': [S.adminKey],
  // A run's execution names the subnets and security groups of its job's network.
  'executions:start': [S.stateMachine, S.taskNetworks],
  'executions:stop': [S.stateMachine],
  'executions:describe': [S.stateMachine],
  'container-logs:read': [S.containerLogGroup],
  'container-logs:delete': [S.containerLogGroup],
  'container-logs:write': [S.containerLogGroup],
  schedules: [S.scheduleGroup, S.schedulerTarget, S.schedulerRole, S.schedulerDeadLetters],
  // A task definition names the log group its container writes to.
  // A job is refused a network the deployment does not offer.
  'task-definitions': [S.taskExecutionRole, S.taskRole, S.containerLogGroup, S.taskNetworks],
  'container-metrics': [S.cluster],
  'events:put': [S.eventBus],
  'deliveries:enqueue': [S.deliveryQueue],
  'secret-values:read': [S.secretPrefix],
  'secret-values:write': [S.secretPrefix],
  // Admitted attempts are answered through their task tokens, at the deployment's launch rate at most.
  admission: [S.launchRate],
};

/** The settings a function is given: exactly those of its uses. */
export function settingsOf(uses: readonly Use[]): Setting[] {
  return [...new Set(uses.flatMap((use) => USE_SETTINGS[use]))].sort();
}

export interface FunctionDef {
  description: string;
  uses: readonly Use[];
  /** Seconds (default 29, API Gateway's own bound). */
  timeoutSeconds?: number;
}

const AUTHENTICATES: readonly Use[] = ['table:read', 'admin-key'];

export const FUNCTIONS = {
  system: { description: 'Health and the OpenAPI document', uses: AUTHENTICATES },
  keys: { description: 'API keys: create, list, revoke', uses: [...AUTHENTICATES, 'table:write'] },
  // Deleting a job stops its runs and removes their items and log streams; a job's schedule and task definition follow its spec.
  jobs: {
    description: 'Jobs: list, create, get, patch, delete',
    uses: [
      ...AUTHENTICATES,
      'table:write',
      'table:batch-delete',
      'executions:stop',
      'container-logs:delete',
      'schedules',
      'task-definitions',
    ],
  },
  // A waiting run is shown with its place in its workspace's queue (read, never decided, here).
  runs: {
    description: 'Runs: trigger, read, list, cancel, rerun, statuses',
    uses: [...AUTHENTICATES, 'table:write', 'executions:start', 'executions:stop'],
  },
  // Lines are served with the values of the run's secrets masked: they are read for that, never shown.
  logs: {
    description: 'Log lines of runs and jobs',
    uses: [...AUTHENTICATES, 'container-logs:read', 'secret-values:read'],
  },
  metrics: {
    description: "CPU and memory of a job's running instances",
    uses: [...AUTHENTICATES, 'container-metrics'],
  },
  // A test event and a redelivery are handed to the deliveries queue.
  webhooks: {
    description: "Webhooks: a project's event subscriptions",
    uses: [...AUTHENTICATES, 'table:write', 'deliveries:enqueue'],
  },
  // Values go to Secrets Manager under the stack's prefix; only this function writes them.
  secrets: {
    description: "Secrets: a project's named values, write-only",
    uses: [...AUTHENTICATES, 'table:write', 'secret-values:write'],
  },
  settings: {
    description: 'Workspace and project settings',
    uses: [...AUTHENTICATES, 'table:write'],
  },
  audit: { description: 'The audit log: every change made through the API', uses: AUTHENTICATES },
  fallback: { description: 'Unmatched requests: 404 and 405 envelopes', uses: [] },
  // Admission: an attempt waits in its queue; whoever holds a workspace's lease decides, pacing launches, for up
  // to 45 s of an invocation.
  'run-state': {
    description:
      "The run state machine's state-update tasks, and admission; an attempt's output is read from its log as it ends (masked), and a word about it written there",
    uses: [
      'table:read',
      'table:write',
      'admission',
      'container-logs:read',
      'container-logs:write',
      'secret-values:read',
    ],
    timeoutSeconds: 60,
  },
  'ecs-events': {
    description: 'Marks a run running when its ECS task starts, and records how a stopped one ended',
    uses: ['table:read', 'table:write'],
  },
  // The one place a run left active by an ended execution is settled: on the execution's end event, and in a sweep
  // for any event that never came.
  reconciler: {
    description: 'Settles runs whose execution ended without settling them; tells slow runs and missed fires',
    uses: ['table:read', 'table:write', 'executions:describe', 'admission'],
  },
  // A fire starts a run; with `replace` it first stops the active one.
  'scheduled-trigger': {
    description: 'Turns a scheduled fire into a run',
    uses: ['table:read', 'table:write', 'executions:start', 'executions:stop'],
  },
  // Reads the table's stream (granted by its event source) and the job of each event, for its name; makes each
  // event's webhook deliveries and hands them to the deliveries queue.
  'event-publisher': {
    description:
      'Puts each run and schedule event on the EventBridge bus, makes its webhook deliveries, keeps run history within its limits, disables the schedule of a job its alerts paused, and starts the runs that run after a run that ended',
    uses: [
      'table:read',
      'table:write',
      'events:put',
      'deliveries:enqueue',
      'schedules',
      'executions:start',
      'executions:stop',
    ],
  },
  // Reads the deliveries queue (granted by its event source); sends a delivery not yet due on again. An attempt
  // waits up to 15 s for its receiver, and a batch's attempts run together.
  deliveries: {
    description: 'Attempts webhook deliveries when due, and sweeps for overdue ones',
    uses: ['table:read', 'table:write', 'deliveries:enqueue'],
    timeoutSeconds: 60,
  },
} as const satisfies Record<HttpGroup | string, FunctionDef>;

export type FunctionName = keyof typeof FUNCTIONS;
