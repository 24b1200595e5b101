// How each kind of item is addressed in the single table, whose key schema and indexes are in table.ts.
import type { ProjectRef } from '../../core/ports.ts';

export const key = {
  project: (ref: ProjectRef) => `WS#${ref.workspace_id}#PRJ#${ref.project_id}`,
  workspace: (workspaceId: string) => `WS#${workspaceId}`,
  job: (jobId: string) => `JOB#${jobId}`,
  jobName: (name: string) => `NAME#${name}`,
  run: (runId: string) => `RUN#${runId}`,
  /** A job's aggregates of the runs that settled on a day (YYYY-MM-DD, UTC), in its job's partition. */
  dayStats: (day: string) => `STATS#${day}`,
  /** A revision of a job, in its job's partition (zero-padded, so they sort by number). */
  revision: (revision: number) => `REV#${String(revision).padStart(8, '0')}`,
  revisions: 'REV#',
  /** A task of a run of several, in its job's partition, by index (zero-padded, so they sort by index). */
  task: (runId: string, index: number) => `TASK#${runId}#${String(index).padStart(4, '0')}`,
  tasksOf: (runId: string) => `TASK#${runId}#`,
  activeRuns: 'ACTIVE',
  scheduledJobs: 'SCHEDULED',
  keyHash: (hash: string) => `KEYHASH#${hash}`,
  keyList: 'KEYS',
  keyItem: (keyId: string) => `KEY#${keyId}`,
  event: (eventId: string) => `EVT#${eventId}`,
  outbox: 'OUTBOX',
  webhook: (webhookId: string) => `WH#${webhookId}`,
  webhookCount: 'WEBHOOKS',
  deliveries: (webhookId: string) => `WH#${webhookId}`,
  delivery: (deliveryId: string) => `DLV#${deliveryId}`,
  due: 'DUE',
  expiring: 'EXPIRES',
  /** A secret's metadata, in its project's partition; its value is in the vault (locally SECRETVALUE#<name>). */
  secret: (name: string) => `SECRET#${name}`,
  secretValue: (name: string) => `SECRETVALUE#${name}`,
  /** A workspace's audit log (or the service's, for API keys: '*'), its entries by id (ids sort by time). */
  audit: (workspaceId: string | null) => `AUDIT#${workspaceId ?? '*'}`,
  auditEntry: (id: string) => `AUDIT#${id}`,
  /** A project's counters of the service's figures (in its partition; listed under this lookup). */
  metrics: 'METRICS',
  /** A workspace's settings (in the workspace's partition) or a project's (in the project's). */
  settings: 'SETTINGS',
} as const;
