// Run routes: trigger, list, get (long poll), cancel, rerun, batch statuses, job status. Thin over RunService.
import { DEFAULT_GRACE_SECONDS, type RunService } from '../core/runs.ts';
import type { Run } from '../core/run-model.ts';
import { BACKFILL_MAX_RUNS } from '../core/backfill.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { Reply } from './middleware/envelope.ts';

export function runsApi(deps: HttpDependencies & { runs: RunService }): HttpHandler {
  const { runs } = deps;
  const page = async (result: Promise<{ items: Run[]; next_cursor: string | null }>) => {
    const { items, next_cursor } = await result;
    return Reply.page({ items: await runs.shown(items), next_cursor });
  };
  const one = async (run: Promise<Run>) => (await runs.shown([await run]))[0]!;
  return httpApi(
    'runs',
    {
      triggerRun: async ({ params, body, headers, requester }) =>
        one(runs.trigger(params, body ?? {}, { idempotencyKey: headers['idempotency-key'], requester })),
      backfillJob: async ({ params, query, body, requester }) => {
        const result = await runs.backfill(
          params,
          {
            start: body.start,
            end: body.end,
            max_runs: body.max_runs ?? BACKFILL_MAX_RUNS.default,
            dry_run: query.dry_run ?? false,
          },
          requester,
        );
        return { fires: result.fires.map((fire) => fire.toISOString()), runs: await runs.shown(result.runs) };
      },
      listJobRuns: ({ params, query }) => page(runs.listForJob(params, { status: query.status }, query)),
      getRun: ({ params, query }) => one(runs.get(params, query.wait ?? 0)),
      cancelRun: ({ params, body, requester }) =>
        one(
          runs.cancel(
            params,
            { mode: body?.mode ?? 'graceful', graceSeconds: body?.timeout_seconds ?? DEFAULT_GRACE_SECONDS },
            requester,
          ),
        ),
      rerun: ({ params, requester }) => one(runs.rerun(params, requester)),
      listRunTasks: async ({ params, query }) => Reply.page(await runs.tasks(params, query)),
      jobStatus: async ({ params }) => {
        const status = await runs.status(params);
        return { ...status, latest_run: status.latest_run && (await one(Promise.resolve(status.latest_run))) };
      },
      listProjectRuns: ({ params, query }) =>
        page(
          runs.listForProject(params, { status: query.status, job_id: query.job_id, trigger: query.trigger }, query),
        ),
      listWorkspaceRuns: ({ params, query }) =>
        page(
          runs.listForWorkspace(
            params.workspace_id,
            { status: query.status, job_id: query.job_id, trigger: query.trigger, project_id: query.project_id },
            query,
          ),
        ),
      runStatuses: ({ params, body }) =>
        runs.statuses(params, body.run_ids, { waitSeconds: body.wait ?? 0, pollSeconds: body.poll_interval ?? 1 }),
    },
    deps,
  );
}
