// The HTTP handler of each route group, built from the services: the same for a Lambda function (which serves one
// group) and for the local host (which serves them all).
import { fallbackApi } from '../api/fallback.ts';
import type { HttpHandler } from '../api/http.ts';
import { jobsApi } from '../api/jobs.ts';
import { keysApi } from '../api/keys.ts';
import { logsApi } from '../api/logs.ts';
import { metricsApi } from '../api/metrics.ts';
import type { HttpGroup } from '../api/routes.ts';
import { runsApi } from '../api/runs.ts';
import { secretsApi } from '../api/secrets.ts';
import { settingsApi } from '../api/settings.ts';
import { auditApi } from '../api/audit.ts';
import { systemApi } from '../api/system.ts';
import { webhooksApi } from '../api/webhooks.ts';
import type { Services } from './services.ts';

export async function httpHandler(group: HttpGroup, services: Services): Promise<HttpHandler> {
  const { logger, version } = services.platform;
  if (group === 'fallback') return fallbackApi({ logger });
  const deps = { logger, keys: await services.keys() };
  switch (group) {
    case 'system':
      return systemApi({ ...deps, checks: services.platform.healthChecks(), version });
    case 'keys':
      return keysApi(deps);
    case 'jobs':
      return jobsApi({ ...deps, jobs: services.jobs() });
    case 'runs':
      return runsApi({ ...deps, runs: services.runs() });
    case 'logs':
      return logsApi({ ...deps, logs: services.logs() });
    case 'metrics':
      return metricsApi({ ...deps, metrics: services.metrics(), serviceMetrics: services.serviceMetrics() });
    case 'webhooks':
      return webhooksApi({ ...deps, webhooks: services.webhooks(), deliveries: services.deliveries() });
    case 'secrets':
      return secretsApi({ ...deps, secrets: services.secrets() });
    case 'settings':
      return settingsApi({ ...deps, settings: services.settings() });
    case 'audit':
      return auditApi({ ...deps, audit: services.audit() });
  }
}
