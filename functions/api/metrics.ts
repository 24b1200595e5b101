// The metrics route: a job's CPU and memory series, one status per metric.
import type { MetricsService } from '../core/metrics.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { timeWindow } from './time-window.ts';

export function metricsApi(deps: HttpDependencies & { metrics: MetricsService }): HttpHandler {
  return httpApi(
    'metrics',
    { jobMetrics: ({ params, query }) => deps.metrics.query(params, query.names, timeWindow(query), query.period) },
    deps,
  );
}
