// Jobs are named by name or id, runs by id: what the CLI's arguments point at.
import { ApiError, isJobId, isRunId, type Job, type JobsClient, type Run } from '../client/jobs-client.ts';

export { isRunId };

/** The job with this id, or the one with this name in the project. */
export async function findJob(client: JobsClient, nameOrId: string): Promise<Job> {
  if (isJobId(nameOrId)) return client.getJob(nameOrId);
  const job = await findJobByName(client, nameOrId);
  if (!job)
    throw new ApiError(404, `no job named '${nameOrId}' in this project`, [{ field: 'job', message: 'not found' }]);
  return job;
}

export async function findJobByName(client: JobsClient, name: string): Promise<Job | undefined> {
  for await (const job of client.all((cursor) => client.listJobs({ limit: 100, cursor })))
    if (job.name === name) return job;
  return undefined;
}

/**
 * The run with this id in the project. The API addresses a run under its job, so the project's runs are read
 * newest first until it turns up; run ids sort by creation, so the search ends at the first older id.
 */
export async function findRun(client: JobsClient, runId: string): Promise<Run> {
  if (!isRunId(runId))
    throw new ApiError(400, `'${runId}' is not a run id (run_<ULID>)`, [{ field: 'run', message: 'is not a run id' }]);
  let cursor: string | undefined;
  do {
    const page = await client.listRuns({ limit: 100, ...(cursor ? { cursor } : {}) });
    const found = page.items.find((run) => run.id === runId);
    if (found) return found;
    if (page.items.some((run) => run.id < runId)) break;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  throw new ApiError(404, `no run ${runId} in this project`, [{ field: 'run', message: 'not found' }]);
}
