// Building blocks shared by every resource's schemas: ids, paths, list parameters and the envelopes.
import * as z from 'zod';
import { idPattern, SLUG, type IdPrefix } from '../core/id-patterns.ts';

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// Plain wording for the issues zod words for developers; every schema built from this module speaks it.
z.config({
  customError(issue) {
    if (issue.code === 'invalid_type') {
      if (issue.input === undefined) return 'is required';
      const expected = issue.expected === 'record' ? 'object' : issue.expected;
      const article = /^[aeiou]/.test(expected) ? 'an' : 'a';
      return `must be ${article} ${expected}, not ${describeValue(issue.input)}`;
    }
    return undefined;
  },
});

export { SLUG };
const slugMessage = 'must be 1-63 lower-case letters, digits or -, starting with a letter or digit';

export const WorkspaceId = z
  .string()
  .regex(SLUG, { error: slugMessage })
  .meta({ description: 'Workspace id', example: 'acme' });
export const ProjectId = z
  .string()
  .regex(SLUG, { error: slugMessage })
  .meta({ description: 'Project id', example: 'etl' });

export function prefixedId(prefix: IdPrefix) {
  return z.string().regex(idPattern(prefix), { error: `must be ${prefix}_ followed by a 26-character ULID` });
}
export const JobId = prefixedId('job').meta({ example: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA' });
export const RunId = prefixedId('run').meta({ example: 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H' });
export const KeyId = z.union([prefixedId('key'), z.literal('key_admin')], {
  error: 'must be key_ followed by a 26-character ULID',
});

export const WorkspacePath = z.strictObject({ workspace_id: WorkspaceId });
export const ProjectPath = WorkspacePath.extend({ project_id: ProjectId });
export const JobPath = ProjectPath.extend({ job_id: JobId });
export const RunPath = JobPath.extend({ run_id: RunId });

/** Query parameters arrive as strings: a parameter of another type reads its text first, so the document can
 * say what the value is (an integer, a boolean) while the server still parses the text strictly. */
export function fromText<T extends z.ZodType>(parse: (text: string) => unknown, schema: T) {
  return z.preprocess((value) => (typeof value === 'string' ? parse(value) : value), schema);
}

/** An integer query parameter with its real bounds, in the document and in every error message. */
export function integerParam(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return fromText(
    (text) => (/^-?\d{1,15}$/.test(text) ? Number(text) : text),
    z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message }),
  );
}

/** An integer in a JSON body, with its bounds in the one message every failure gets. */
export function integer(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

export const booleanParam = fromText(
  (text) => (text === 'true' ? true : text === 'false' ? false : text),
  z.boolean({ error: 'must be true or false' }),
);

/** A nullable reference to a named schema (zod-to-openapi drops the null from `.nullable()` on a $ref). */
export function orNull<T extends z.ZodType>(schema: T) {
  return z.union([schema, z.null()]);
}

export const PageQuery = z.strictObject({
  limit: integerParam(1, 100).optional().default(20).meta({ description: 'Page size, 1-100 (default 20)' }),
  cursor: z.string().min(1).max(2048).optional().meta({ description: 'The next_cursor of the previous page' }),
});

export const Timestamp = z.iso
  .datetime()
  .meta({ description: 'ISO-8601 UTC time with milliseconds', example: '2026-11-22T10:15:30.123Z' });

export const FieldErrorSchema = z.object({ field: z.string(), message: z.string() });

export function successEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ status: z.literal('success'), message: z.string(), data });
}

export function listEnvelope<T extends z.ZodType>(item: T) {
  return z.object({
    status: z.literal('success'),
    message: z.string(),
    data: z.array(item),
    next_cursor: z.string().nullable(),
  });
}

export const ErrorEnvelope = z
  .object({ status: z.literal('error'), message: z.string(), errors: z.array(FieldErrorSchema) })
  .meta({ id: 'Error' });

/** Fields no client may set: the server owns them. */
export const READ_ONLY_FIELDS = new Set([
  'id',
  'workspace_id',
  'project_id',
  'job_id',
  'created_at',
  'updated_at',
  'status',
  'attempt',
  'started_at',
  'finished_at',
  'duration_ms',
  'exit_code',
  'error',
  'backend',
  'usage',
  'secret',
  'hash',
  'trigger',
  'scheduled_for',
]);

/** True when two types are the same both ways: a schema and the domain type it describes cannot drift apart. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
