// Jobs are shown by name wherever the API answers with their id (runs, the audit, chains): each project's names are
// read once (every page of its jobs) and kept for a while, so a table of runs costs one list per project, not a
// read per row.
import type { Job } from '../../client/jobs-client.ts';
import { client } from './session.ts';

const KEPT_MS = 30_000;
const names = new Map<string, { at: number; names: Promise<Map<string, string>> }>();

/** A job missing from names read longer ago than this may be newer than them: they are read again. */
const NEWER_THAN_MS = 2_000;

/**
 * The project's job names by id (a job deleted since is simply absent). With `of`, names kept that lack that job are
 * read again, unless they were read a moment ago: a job made since they were read is named, one deleted is not.
 */
export async function jobNames(workspace: string, project: string, of?: string): Promise<Map<string, string>> {
  const key = `${workspace}/${project}`;
  const kept = names.get(key);
  if (kept && Date.now() - kept.at < KEPT_MS) {
    const found = await kept.names;
    if (of === undefined || found.has(of) || Date.now() - kept.at < NEWER_THAN_MS) return found;
    // Another label asked for newer names meanwhile: those.
    const current = names.get(key);
    if (current && current !== kept) return current.names;
  }
  return read(workspace, project);
}

function read(workspace: string, project: string): Promise<Map<string, string>> {
  const key = `${workspace}/${project}`;
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
