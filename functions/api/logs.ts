// Log routes: a run's lines and a job's lines across runs, oldest first, in a window, paged (and followed) by
// cursor. Thin over LogService.
import type { LogRead, LogService } from '../core/logs.ts';
import type { LogPage } from '../core/ports.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { Reply } from './middleware/envelope.ts';
import { timeWindow } from './time-window.ts';

interface LogsParams {
  since?: number;
  start?: Date;
  end?: Date;
  filter?: string;
  attempt?: number;
  task?: number;
  limit: number;
  cursor?: string;
  wait: number;
}

const read = (query: LogsParams): LogRead => ({
  ...timeWindow(query),
  filter: query.filter,
  attempt: query.attempt,
  task: query.task,
  limit: query.limit,
  cursor: query.cursor,
  wait: query.wait,
});

const reply = (page: LogPage, extra: Record<string, unknown> = {}) =>
  new Reply(page.items, { envelope: { next_cursor: page.cursor, more: page.more, ...extra } });

export function logsApi(deps: HttpDependencies & { logs: LogService }): HttpHandler {
  const { logs } = deps;
  return httpApi(
    'logs',
    {
      runLogs: async ({ params, query }) => {
        const page = await logs.forRun(params, read(query));
        return reply(page, { complete: page.complete, truncated: page.truncated });
      },
      jobLogs: async ({ params, query }) => reply(await logs.forJob(params, read(query))),
    },
    deps,
  );
}
