// Audit routes: a workspace's log (its writers and admins) and the service's own (admins). Thin over AuditService.
import type { AuditService } from '../core/audit-service.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { Reply } from './middleware/envelope.ts';
import { timeWindow } from './time-window.ts';

export function auditApi(deps: HttpDependencies & { audit: AuditService }): HttpHandler {
  const { audit } = deps;
  return httpApi(
    'audit',
    {
      listWorkspaceAudit: async ({ params, query }) =>
        Reply.page(
          await audit.list(
            params.workspace_id,
            { project_id: query.project_id, action: query.action, key_id: query.key_id, ...timeWindow(query) },
            query,
          ),
        ),
      listServiceAudit: async ({ query }) =>
        Reply.page(await audit.list(null, { action: query.action, key_id: query.key_id, ...timeWindow(query) }, query)),
    },
    deps,
  );
}
