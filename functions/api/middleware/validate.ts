// Validates path parameters, query and body against the route's zod schemas, and turns every zod issue into a
// field error that names the field. The operation only ever sees parsed, typed input.
import type { MiddlewareObj } from '@middy/core';
import * as z from 'zod';
import { ValidationError, type FieldError } from '../../core/errors.ts';
import { READ_ONLY_FIELDS } from '../../schemas/common.ts';
import type { ApiEvent } from './resolve-route.ts';

type Part = 'path' | 'query' | 'body' | 'header';

/** Routes that read no query parameters reject any, so a misspelt parameter is never silently ignored. */
const NO_QUERY = z.strictObject({});

function fieldErrors(issues: readonly z.core.$ZodIssue[], part: Part): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    // A query parameter is named by itself (a repeated one is an array, but its items have no names of their own).
    const path = part === 'query' ? issue.path.slice(0, 1) : issue.path;
    const base = part === 'header' ? headerName(path.map(String).join('.')) : path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const unknown of issue.keys) {
        const field = base ? `${base}.${unknown}` : unknown;
        const message =
          part === 'query'
            ? 'is not a query parameter of this route'
            : part === 'body' && base === '' && READ_ONLY_FIELDS.has(unknown)
              ? 'is read-only and cannot be set'
              : 'is not a known field';
        errors.push({ field, message });
      }
      continue;
    }
    errors.push({ field: base || (part === 'body' ? 'body' : part), message: issue.message });
  }
  return errors;
}

/** idempotency-key → Idempotency-Key, as clients write it. */
function headerName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`);
}

/** Query parameters as API Gateway's raw query string has them: a repeated name becomes an array. */
export function parseQuery(rawQueryString: string | undefined): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString ?? '')) {
    const existing = query[name];
    query[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

function check(schema: z.ZodType | undefined, value: unknown, part: Part, errors: FieldError[]): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  errors.push(...fieldErrors(result.error.issues, part));
  return undefined;
}

export function validate(): MiddlewareObj<ApiEvent> {
  return {
    before(request) {
      const event = request.event;
      const { route } = event.api;
      const errors: FieldError[] = [];
      const params = check(route.params, event.pathParameters ?? {}, 'path', errors);
      const query = check(route.query ?? NO_QUERY, parseQuery(event.rawQueryString), 'query', errors);
      const body =
        route.body && event.api.body !== undefined ? check(route.body, event.api.body, 'body', errors) : undefined;
      const headers = route.headers
        ? check(route.headers, pickHeaders(event.headers, route.headers), 'header', errors)
        : {};
      if (errors.length > 0) throw new ValidationError(errors);
      event.api.input = { params: params ?? {}, query: query ?? {}, body, headers: headers ?? {} };
      Object.assign(event.api.log, pickIds(params));
    },
  };
}

function pickHeaders(
  headers: Record<string, string | undefined> | undefined,
  schema: z.ZodObject,
): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = headers?.[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

function pickIds(params: unknown): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const name of ['workspace_id', 'project_id', 'job_id', 'run_id'] as const) {
    const value = (params as Record<string, unknown> | undefined)?.[name];
    if (typeof value === 'string') ids[name] = value;
  }
  return ids;
}
