// The metrics route: a job's CPU and memory series, one status per metric.
import type { MetricsService } from '../core/metrics.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';

export function metricsApi(deps: HttpDependencies & { metrics: MetricsService }): HttpHandler {
  return httpApi(
    'metrics',
    {
      jobMetrics: ({ params, query }) => {
        const start = query.since !== undefined ? new Date(Date.now() - query.since) : query.start;
        return deps.metrics.query(params, query.names, { start, end: query.end }, query.period);
      },
    },
    deps,
  );
}
