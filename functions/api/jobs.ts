// Job routes: list, create, get, patch, delete. Thin: the job service does the work.
import type { JobService } from '../core/job-service.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { Reply } from './middleware/envelope.ts';

export function jobsApi(deps: HttpDependencies & { jobs: JobService }): HttpHandler {
  const { jobs } = deps;
  return httpApi(
    'jobs',
    {
      listJobs: async ({ params, query }) =>
        Reply.page(await jobs.list(params, { tags: query.tag, scheduled: query.scheduled }, query)),
      createJob: ({ params, body }) => jobs.create(params, body),
      getJob: ({ params }) => jobs.get(params),
      patchJob: ({ params, body }) => jobs.patch(params, body),
      deleteJob: ({ params }) => jobs.delete(params),
    },
    deps,
  );
}
