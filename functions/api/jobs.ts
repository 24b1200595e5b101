// Job routes: list, create, get, patch, delete, and a job's revisions. Thin: the job service does the work.
import type { JobService } from '../core/job-service.ts';
import { httpApi, type HttpDependencies, type HttpHandler } from './http.ts';
import { Reply } from './middleware/envelope.ts';
import type { Job } from '../core/jobs.ts';

/** A job with its revision as the ETag, for If-Match on the next change. */
function tagged(job: Job): Reply<Job> {
  return new Reply(job, { headers: { etag: `"${job.revision}"` } });
}

export function jobsApi(deps: HttpDependencies & { jobs: JobService }): HttpHandler {
  const { jobs } = deps;
  return httpApi(
    'jobs',
    {
      listJobs: async ({ params, query }) =>
        Reply.page(await jobs.list(params, { tags: query.tag, scheduled: query.scheduled }, query)),
      createJob: ({ params, body, requester }) => jobs.create(params, body, requester),
      getJob: async ({ params }) => tagged(await jobs.get(params)),
      patchJob: async ({ params, body, headers, requester }) =>
        tagged(await jobs.patch(params, body, requester, { ifMatch: headers['if-match'] })),
      deleteJob: ({ params, requester }) => jobs.delete(params, requester),
      listJobRevisions: async ({ params, query }) => Reply.page(await jobs.revisions(params, query)),
      getJobRevision: ({ params }) => jobs.revision(params, params.revision),
      revertJob: async ({ params, headers, requester }) =>
        tagged(await jobs.revert(params, params.revision, requester, { ifMatch: headers['if-match'] })),
    },
    deps,
  );
}
