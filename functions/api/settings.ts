// Settings routes: a workspace's (read by any of its keys, replaced by admins) and a project's (replaced by
// writers). Thin over SettingsService.
import type { SettingsService } from '../core/settings-service.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';

export function settingsApi(deps: HttpDependencies & { settings: SettingsService }): HttpHandler {
  const { settings } = deps;
  return httpApi(
    'settings',
    {
      getWorkspaceSettings: ({ params }) => settings.workspace(params.workspace_id),
      putWorkspaceSettings: ({ params, body, requester }) =>
        settings.putWorkspace(params.workspace_id, body, requester),
      getProjectSettings: ({ params }) => settings.project(params),
      putProjectSettings: ({ params, body, requester }) => settings.putProject(params, body, requester),
    },
    deps,
  );
}
