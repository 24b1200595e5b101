// The audit log's request and response shapes.
import * as z from 'zod';
import { AUDIT_ACTIONS, type AuditEntry } from '../core/audit.ts';
import { KeyId, PageQuery, ProjectId, Timestamp, WorkspaceId, type Same } from './common.ts';
import { checkWindow, windowFields } from './run.ts';

const AuditQueryFields = {
  ...windowFields,
  action: z.enum(AUDIT_ACTIONS).optional().meta({ description: 'Only entries of this action' }),
  key_id: KeyId.optional().meta({ description: 'Only changes made with this key' }),
  ...PageQuery.shape,
};

export const ServiceAuditQuery = z.strictObject(AuditQueryFields).superRefine(checkWindow);
export const WorkspaceAuditQuery = z
  .strictObject({
    ...AuditQueryFields,
    project_id: ProjectId.optional().meta({ description: 'Only changes in this project' }),
  })
  .superRefine(checkWindow);

export const AuditEntrySchema = z
  .strictObject({
    id: z.string().meta({ example: 'aud_01JD6R5V8X2B4N6P8R0T2V4X6Z' }),
    time: Timestamp,
    workspace_id: WorkspaceId.nullable().meta({ description: "null for a change of the service's own (API keys)" }),
    actor: z.strictObject({
      key_id: z.string(),
      key_name: z.string(),
      role: z.enum(['admin', 'writer', 'reader']),
    }),
    action: z.enum(AUDIT_ACTIONS),
    target: z
      .record(z.string(), z.string())
      .meta({ description: 'The ids of what changed: project_id, job_id, run_id, webhook_id, secret, key_id' }),
    request_id: z.string(),
    source_ip: z.string().nullable(),
    changes: z
      .record(z.string(), z.tuple([z.unknown(), z.unknown()]))
      .meta({ description: 'Each changed field: [before, after] (never a secret value or a key secret)' }),
  })
  .meta({ id: 'AuditEntry' });

export const AUDIT_ENTRY_IS_THE_DOMAINS: Same<z.output<typeof AuditEntrySchema>, AuditEntry> = true;
