// A job's revisions: every change of its spec is kept as a numbered revision, with the key that made it, so its
// history can be read, two revisions compared field by field, and an earlier one made current again.
import { JOB_SPEC_FIELDS, type Job, type JobSpec } from './jobs.ts';

/** Who made a change: the API key, by id and by the name it was given. */
export interface Actor {
  key_id: string;
  key_name: string;
}

export interface JobRevision {
  revision: number;
  created_at: string;
  actor: Actor;
  spec: JobSpec;
}

/** The fewest revisions of a job kept, whatever its history limits. */
export const REVISIONS_KEPT = 100;

/** How many of its newest revisions a job keeps: as many as the runs it keeps, and never fewer than 100. */
export function revisionsKept(job: Pick<Job, 'history'>): number {
  return Math.max(REVISIONS_KEPT, job.history.max_runs);
}

/** The spec of a job (or of anything that carries one), exactly its spec fields. */
export function specOf(job: JobSpec): JobSpec {
  return Object.fromEntries(JOB_SPEC_FIELDS.map((field) => [field, job[field]])) as unknown as JobSpec;
}

export function sameSpec(a: JobSpec, b: JobSpec): boolean {
  return jsonEqual(specOf(a), specOf(b));
}

/** One field that differs: `before` undefined where it was added, `after` undefined where it was removed. */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Equal as JSON values (a spec is one): the same scalars, lists in the same order, maps with the same entries. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key], b[key]));
  }
  return false;
}

/**
 * What differs between two specs, field by field, in the spec's order: maps (env, tags, history) by their
 * keys (`env.STAGE`), everything else (a command, a list of rules) as a whole.
 */
export function specChanges(before: JobSpec, after: JobSpec): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of JOB_SPEC_FIELDS) compare(field, before[field], after[field], changes);
  return changes;
}

function compare(path: string, before: unknown, after: unknown, changes: FieldChange[]): void {
  if (jsonEqual(before, after)) return;
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const key of keys) compare(`${path}.${key}`, before[key], after[key], changes);
    return;
  }
  changes.push({ field: path, before, after });
}

/** How a change reads, `+` added, `-` removed or `~` changed, and its values on one line (text as it is, else JSON). */
export function changeText(change: FieldChange): { sign: '+' | '-' | '~'; values: string } {
  const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  if (change.before === undefined) return { sign: '+', values: shown(change.after) };
  if (change.after === undefined) return { sign: '-', values: shown(change.before) };
  return { sign: '~', values: `${shown(change.before)} → ${shown(change.after)}` };
}
