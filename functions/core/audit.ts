// The audit log: every change made through the API, with who made it (key, role), from where (request id, source
// IP) and what it changed, field by field. An entry is written in the same transaction as the change it tells of,
// so there is no change without its entry and no entry without its change. Values of secrets and keys never
// appear: a secret's change is its version, a key's its name, role and workspaces.
import { newId } from './ids.ts';
import type { Role } from './keys.ts';
import type { Actor } from './revisions.ts';
import { AUDIT_ACTIONS, type AuditAction } from './audit-actions.ts';

export { AUDIT_ACTIONS, type AuditAction };

/** How long an entry is kept. */
export const AUDIT_DAYS = 365;

/** Who asks for a change through the API, and from where: what the change's audit entry and revision record. */
export interface Requester extends Actor {
  role: Role;
  request_id: string;
  source_ip: string | null;
}

export interface AuditEntry {
  id: string;
  time: string;
  /** The workspace the change is in; null for a change of the service itself (API keys). */
  workspace_id: string | null;
  actor: Actor & { role: Role };
  action: AuditAction;
  /** The ids of what was changed (project_id, job_id, run_id, webhook_id, secret, key_id). */
  target: Record<string, string>;
  request_id: string;
  source_ip: string | null;
  /** Each changed field: [before, after] (null where there was none, or none is left). */
  changes: Record<string, [unknown, unknown]>;
}

export interface AuditFilter {
  project_id?: string | undefined;
  action?: AuditAction | undefined;
  key_id?: string | undefined;
  start?: Date | undefined;
  end?: Date | undefined;
}

/** The entry telling that `requester` made this change now. */
export function auditEntry(
  requester: Requester,
  action: AuditAction,
  workspaceId: string | null,
  target: Record<string, string>,
  changes: Record<string, [unknown, unknown]> = {},
  now = new Date(),
): AuditEntry {
  return {
    id: newId('aud', now.getTime()),
    time: now.toISOString(),
    workspace_id: workspaceId,
    actor: { key_id: requester.key_id, key_name: requester.key_name, role: requester.role },
    action,
    target,
    request_id: requester.request_id,
    source_ip: requester.source_ip,
    changes,
  };
}

/** The top-level fields whose values differ between two versions of a thing (either may be absent). */
export function changedFields(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  fields: readonly string[] = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])],
): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const field of fields) {
    const was = before?.[field] ?? null;
    const is = after?.[field] ?? null;
    if (JSON.stringify(was) !== JSON.stringify(is)) changes[field] = [was, is];
  }
  return changes;
}
