// Reading the audit log: a workspace's changes, or the service's own (API keys), newest first, filtered.
import type { AuditEntry, AuditFilter } from './audit.ts';
import type { AuditLog, Page, PageRequest } from './ports.ts';

export class AuditService {
  readonly #log: AuditLog;

  constructor(log: AuditLog) {
    this.#log = log;
  }

  /** `workspaceId` null: the changes of the service itself (API keys). */
  list(workspaceId: string | null, filter: AuditFilter, page: PageRequest): Promise<Page<AuditEntry>> {
    return this.#log.list(workspaceId, filter, page);
  }
}
