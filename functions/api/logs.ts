// Log routes: a run's lines and a job's lines across runs, oldest first, in a window.
import type { JobService } from '../core/jobs.ts';
import type { LogSource } from '../core/ports.ts';
import type { RunService } from '../core/runs.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { Reply } from './middleware/envelope.ts';

interface Window {
  since?: number | undefined;
  start?: Date | undefined;
  end?: Date | undefined;
}

function window(query: Window): { start?: Date; end?: Date } {
  const start = query.since !== undefined ? new Date(Date.now() - query.since) : query.start;
  return { ...(start ? { start } : {}), ...(query.end ? { end: query.end } : {}) };
}

export function logsApi(deps: HttpDependencies & { logs: LogSource; jobs: JobService; runs: RunService }): HttpHandler {
  const { logs, jobs, runs } = deps;
  return httpApi(
    'logs',
    {
      runLogs: async ({ params, query }) => {
        await runs.get(params); // 404 for a run that is not there (or not in this project)
        return Reply.page(await logs.query({ job: params, run_id: params.run_id, ...window(query), filter: query.filter, limit: query.limit, cursor: query.cursor }));
      },
      jobLogs: async ({ params, query }) => {
        await jobs.get(params);
        return Reply.page(await logs.query({ job: params, ...window(query), filter: query.filter, limit: query.limit, cursor: query.cursor }));
      },
    },
    deps,
  );
}
