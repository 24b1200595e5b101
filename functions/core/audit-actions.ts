// What the audit log tells of: each kind of change made through the API (the console's filter offers them).
export const AUDIT_ACTIONS = [
  'job.create',
  'job.update',
  'job.delete',
  'job.revert',
  'run.trigger',
  'run.rerun',
  'run.backfill',
  'run.cancel',
  'secret.put',
  'secret.delete',
  'settings.update',
  'webhook.create',
  'webhook.update',
  'webhook.delete',
  'webhook.rotate',
  'key.create',
  'key.revoke',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
