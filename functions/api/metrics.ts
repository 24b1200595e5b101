// The metrics routes: a job's CPU and memory series, one status per metric; and the service's own figures in
// OpenMetrics text, for Prometheus and its kin.
import type { MetricsService } from '../core/metrics.ts';
import type { ServiceMetrics } from '../core/service-metrics.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { timeWindow } from './time-window.ts';

export function metricsApi(
  deps: HttpDependencies & { metrics: MetricsService; serviceMetrics: ServiceMetrics },
): HttpHandler {
  return httpApi(
    'metrics',
    {
      jobMetrics: ({ params, query }) => deps.metrics.query(params, query.names, timeWindow(query), query.period),
      serviceMetrics: ({ query }) => deps.serviceMetrics.text({ byJob: query.by === 'job' }),
    },
    deps,
  );
}
