// Job files, for jobs as code (`jobsctl plan`, `apply`, `export`, `schema`): the job file's schema, the very one the
// server validates a create with and its OpenAPI document serves, and a job's spec as the service would make it
// from a file (every default filled in), so a plan compares like with like. The CLI's alone: the console does
// not import this module, so its bundle carries no schema.
import { z } from 'zod';
import { JobFileSchema } from '../functions/schemas/job.ts';
import { buildJob, type JobCreate, type JobSpec } from '../functions/core/jobs.ts';
import { specOf } from '../functions/core/revisions.ts';

export { JobFileSchema };
export type JobFile = z.output<typeof JobFileSchema>;

/** The job file's JSON Schema (draft 2020-12), as editors take it. */
export function jobFileJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(JobFileSchema, { io: 'input', unrepresentable: 'any' }) as {
    $schema: string;
    $defs: Record<string, Record<string, unknown>>;
  };
  // The job file at the root (not a $ref to it), the schemas it shares with the API beside it.
  const { JobFile: root, ...shared } = generated.$defs;
  return { $schema: generated.$schema, title: 'Job file', ...root, $defs: shared };
}

/** The spec the service makes of a job file's fields (or of a job): its defaults filled in. */
export function buildJobSpec(spec: JobCreate | JobSpec): JobSpec {
  return specOf(buildJob({ workspace_id: '', project_id: '' }, '', spec, '', ''));
}
