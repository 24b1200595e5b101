// Jobs are shown by name wherever the API answers with their id (runs, the audit, chains): each project's names are
// read once (every page of its jobs) and kept for a while, so a table of runs costs one list per project, not a
// read per row.
import type { Job } from '../../client/jobs-client.ts';
import { client } from './session.ts';

const KEPT_MS = 30_000;

interface Read {
  at: number;
  names: Promise<Map<string, string>>;
  /** Jobs already found missing before this read began: what it says of them is the truth, not an old list. */
  after: Set<string>;
}
const reads = new Map<string, Read>();

/**
 * The project's job names by id (a job deleted since is simply absent). With `of`, names that lack that job are
 * read again once, unless they were read after it was first found missing: a job made since they were read is
 * named, one deleted is not, and a table of rows of a deleted job costs one read more, not one a row.
 */
export async function jobNames(workspace: string, project: string, of?: string): Promise<Map<string, string>> {
  const key = `${workspace}/${project}`;
  const kept = reads.get(key);
  if (!kept || Date.now() - kept.at >= KEPT_MS) return read(workspace, project, of, kept);
  const found = await kept.names;
  if (of === undefined || found.has(of) || kept.after.has(of)) return found;
  // Another label may have read them again meanwhile, knowing of this job: that read answers.
  const current = reads.get(key);
  if (current && current !== kept && current.after.has(of)) return current.names;
  return read(workspace, project, of, current);
}

/** Names read again at the next ask: the console itself made, renamed or deleted a job of the project. */
export function forgetJobNames(workspace: string, project: string): void {
  reads.delete(`${workspace}/${project}`);
}

function read(
  workspace: string,
  project: string,
  missing: string | undefined,
  before?: Read,
): Promise<Map<string, string>> {
  const key = `${workspace}/${project}`;
  const api = client(workspace, project);
  const loading = (async () => {
    const found = new Map<string, string>();
    for await (const job of api.all((cursor) => api.listJobs({ limit: 100, cursor })))
      found.set((job as Job).id, (job as Job).name);
    return found;
  })();
  // A failed read is not kept: the next view asks again.
  loading.catch(() => reads.get(key)?.names === loading && reads.delete(key));
  const after = new Set([...(before?.after ?? []), ...(missing ? [missing] : [])]);
  reads.set(key, { at: Date.now(), names: loading, after });
  return loading;
}
