// Log routes: a run's lines and a job's lines across runs, oldest first, in a window. Thin over LogService.
import type { LogService } from '../core/logs.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { Reply } from './middleware/envelope.ts';
import { timeWindow } from './time-window.ts';

export function logsApi(deps: HttpDependencies & { logs: LogService }): HttpHandler {
  const { logs } = deps;
  const read = (query: { since?: number; start?: Date; end?: Date; filter?: string; limit: number; cursor?: string }) => ({
    ...timeWindow(query),
    filter: query.filter,
    limit: query.limit,
    cursor: query.cursor,
  });
  return httpApi(
    'logs',
    {
      runLogs: async ({ params, query }) => Reply.page(await logs.forRun(params, read(query))),
      jobLogs: async ({ params, query }) => Reply.page(await logs.forJob(params, read(query))),
    },
    deps,
  );
}
