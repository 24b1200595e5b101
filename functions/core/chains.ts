// Run-after chains: a job may run after another job of its project ends (succeeded, failed, or either), without a
// DAG engine. An edge names its upstream job by name or id; it is checked when written (the job exists, is not the
// job itself, and makes no cycle), and fired from the run events, so it survives a restart and fires once per
// ending: the run it makes has an id derived from the job and the run that ended, and a repeat names the same one.
import type { FieldError } from './errors.ts';
import type { Job } from './jobs.ts';
import type { RunStatus } from './run-statuses.ts';
import { CHAIN_CONDITIONS, MAX_RUN_AFTER, type ChainCondition, type RunAfter } from './job-spec.ts';

export { CHAIN_CONDITIONS, MAX_RUN_AFTER, type ChainCondition, type RunAfter };

type Named = Pick<Job, 'id' | 'name'>;

export function refersTo(entry: RunAfter, job: Named): boolean {
  return entry.job === job.id || entry.job === job.name;
}

/** Whether a run that ended so fires an edge that waits for `on`. */
export function endsAs(on: ChainCondition, status: RunStatus): boolean {
  if (on === 'finished') return status === 'succeeded' || status === 'failed' || status === 'cancelled';
  return on === status;
}

/**
 * What is wrong with a job's run_after among its project's jobs (`jobs`, the job itself as it would be included):
 * an edge to no job of the project or to itself, or a cycle, named by its jobs.
 */
export function runAfterErrors(
  job: Pick<Job, 'id' | 'name' | 'run_after'>,
  jobs: Array<Pick<Job, 'id' | 'name' | 'run_after'>>,
): FieldError[] {
  const others = jobs.filter((other) => other.id !== job.id);
  const all = [...others, job];
  const errors: FieldError[] = [];
  job.run_after.forEach((entry, i) => {
    if (refersTo(entry, job)) errors.push({ field: `run_after.${i}.job`, message: 'a job cannot run after itself' });
    else if (!others.some((other) => refersTo(entry, other)))
      errors.push({ field: `run_after.${i}.job`, message: `no job named '${entry.job}' in this project` });
  });
  if (errors.length > 0) return errors;
  // A cycle goes through the job: follow its upstreams until the job comes back.
  const upstreamsOf = (of: Pick<Job, 'run_after'>) =>
    of.run_after.flatMap((entry) => all.filter((candidate) => refersTo(entry, candidate)));
  const path: string[] = [];
  const seen = new Set<string>();
  const visit = (current: Pick<Job, 'id' | 'name' | 'run_after'>): boolean => {
    for (const upstream of upstreamsOf(current)) {
      if (upstream.id === job.id) {
        path.push(job.name);
        return true;
      }
      if (seen.has(upstream.id)) continue;
      seen.add(upstream.id);
      path.push(upstream.name);
      if (visit(upstream)) return true;
      path.pop();
    }
    return false;
  };
  if (visit(job))
    errors.push({
      field: 'run_after',
      message: `makes a cycle: ${[job.name, ...path].join(' runs after ')}`,
    });
  return errors;
}

/** The jobs of `jobs` that name `job` in their run_after (by name or id). */
export function dependentsOf(job: Named, jobs: Job[]): Job[] {
  return jobs.filter((other) => other.id !== job.id && other.run_after.some((entry) => refersTo(entry, job)));
}
