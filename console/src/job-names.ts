// Jobs are shown by name wherever the API answers with their id (runs, the audit, chains): each project's names are
// read once (every page of its jobs) and kept for a while, so a table of runs costs one list per project, not a
// read per row.
import type { Job } from '../../client/jobs-client.ts';
import { client } from './session.ts';

const KEPT_MS = 30_000;
const names = new Map<string, { at: number; names: Promise<Map<string, string>> }>();

/** The project's job names by id (a job deleted since is simply absent). */
export function jobNames(workspace: string, project: string): Promise<Map<string, string>> {
  const key = `${workspace}/${project}`;
  const kept = names.get(key);
  if (kept && Date.now() - kept.at < KEPT_MS) return kept.names;
  const api = client(workspace, project);
  const loading = (async () => {
    const found = new Map<string, string>();
    for await (const job of api.all((cursor) => api.listJobs({ limit: 100, cursor })))
      found.set((job as Job).id, (job as Job).name);
    return found;
  })();
  // A failed read is not kept: the next view asks again.
  loading.catch(() => names.delete(key));
  names.set(key, { at: Date.now(), names: loading });
  return loading;
}

/** A job just made or renamed is named at once. */
export function forgetJobNames(workspace: string, project: string): void {
  names.delete(`${workspace}/${project}`);
}
