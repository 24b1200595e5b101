// The OpenAPI 3.1 document, generated from the route table and the same zod schemas that validate requests.
// Every status an operation can answer is listed for it, with the headers that come with it.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { ErrorEnvelope, listEnvelope, successEnvelope } from '../schemas/common.ts';
import { routes, type HttpGroup, type RouteDef } from './routes.ts';
import { JobFileSchema } from '../schemas/job.ts';

/** One tag per route group, in the order a reader meets them. */
const TAGS: Record<Exclude<HttpGroup, 'fallback'>, string> = {
  jobs: 'Container jobs: their spec, schedule and tags',
  runs: 'Runs of jobs: trigger, watch, cancel, rerun, statuses',
  logs: "Runs' output, line by line",
  metrics: "CPU and memory of a job's running instances",
  webhooks: "The project's event subscriptions, delivered signed (Standard Webhooks)",
  secrets: "The project's secrets: values write-only, given to its jobs' containers as they start",
  settings: "Workspace and project settings: limits, a project's weight, the roles and secrets jobs may use",
  keys: 'API keys (admin only)',
  audit: 'Every change made through the API: who, from where, what changed',
  system: 'Health and this document (no key needed)',
};

const HEADERS = {
  ETag: {
    description:
      'The revision of the job, quoted ("3"): send it back as If-Match to change the job only if it is still that one',
    required: true,
    schema: { type: 'string', example: '"3"' },
  },
  RequestId: { description: "The id of this request, also in the service's log lines", schema: { type: 'string' } },
  RetryAfter: {
    description: 'Seconds to wait before retrying',
    required: true,
    schema: { type: 'integer', minimum: 0 },
  },
  WWWAuthenticate: {
    description: 'The authentication scheme: Bearer',
    required: true,
    schema: { type: 'string', enum: ['Bearer'] },
  },
  Allow: {
    description: 'The methods this path answers',
    required: true,
    schema: { type: 'string', example: 'GET, POST' },
  },
} as const;
type HeaderName = keyof typeof HEADERS;

/** The error replies every operation shares, each with its headers (the request id on all of them). */
const ERRORS: Record<string, { description: string; headers?: Record<string, HeaderName> }> = {
  400: { description: 'Invalid input; the message and errors[] name each field' },
  401: { description: 'No key, or an unknown or revoked key', headers: { 'WWW-Authenticate': 'WWWAuthenticate' } },
  403: { description: "The key's role does not allow this" },
  404: { description: 'Not found, or not visible to this key' },
  405: { description: 'This path does not answer that method; Allow lists those it does', headers: { Allow: 'Allow' } },
  409: { description: 'Conflicts with the current state' },
  412: { description: 'If-Match named a revision that is no longer current: the job changed since it was read' },
  413: { description: 'Body over 256 KiB' },
  415: { description: 'Body is not application/json' },
  422: { description: 'The Idempotency-Key was already used with a different body' },
  429: {
    description: 'Too many requests for this key; retry after Retry-After seconds',
    headers: { 'Retry-After': 'RetryAfter' },
  },
  503: {
    description: 'A backing engine is unreachable; retry after Retry-After seconds',
    headers: { 'Retry-After': 'RetryAfter' },
  },
};

/** The statuses a route can answer besides its success, as the server decides them. */
export function errorStatuses(route: RouteDef): string[] {
  const statuses = ['400', '405', '429'];
  if (route.access !== 'public') statuses.push('401');
  if (route.access === 'write' || route.access === 'admin') statuses.push('403');
  if (route.params) statuses.push('404');
  if (route.conflict) statuses.push('409');
  if (route.preconditions) statuses.push('412');
  if (route.body) statuses.push('413', '415');
  if (route.idempotent) statuses.push('422');
  if (!route.raw) statuses.push('503');
  return statuses.sort();
}

const headerRef = (name: HeaderName) => ({ $ref: `#/components/headers/${name}` });
const requestIdHeader = { 'X-Request-Id': headerRef('RequestId') };

function errorResponse(status: string, route: RouteDef) {
  const error = ERRORS[status] as (typeof ERRORS)[string];
  const extra = Object.fromEntries(
    Object.entries(error.headers ?? {}).map(([header, component]) => [header, headerRef(component)]),
  );
  return {
    description: status === '409' ? (route.conflict as string) : error.description,
    headers: { ...requestIdHeader, ...extra },
    content: { 'application/json': { schema: ErrorEnvelope } },
  };
}

function successContent(route: RouteDef) {
  const { data } = route.example;
  if (route.raw) return { schema: route.response, example: data };
  const envelope = (route.list ? listEnvelope(route.response) : successEnvelope(route.response)).extend(
    route.envelope ?? {},
  );
  const example = {
    status: 'success',
    message: route.message,
    data,
    ...(route.list ? { next_cursor: null } : {}),
    ...route.example.envelope,
  };
  return { schema: envelope, example };
}

export function openApiDocument(version: string): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: Authorization: Bearer <key>',
  });
  for (const [name, header] of Object.entries(HEADERS))
    registry.registerComponent('headers', name, structuredClone(header) as never);
  for (const [operationId, route] of Object.entries(routes) as Array<[string, RouteDef]>) {
    registry.registerPath({
      operationId,
      method: route.method.toLowerCase() as 'get',
      path: route.path,
      tags: [route.group],
      summary: route.summary,
      description: route.description,
      security: route.access === 'public' ? [] : [{ [bearer.name]: [] }],
      request: {
        params: route.params as z.ZodObject | undefined,
        query: route.query as z.ZodObject | undefined,
        headers: route.headers,
        body: route.body && {
          required: Boolean(route.bodyRequired),
          content: {
            'application/json': {
              schema: route.body,
              ...(route.example.body !== undefined ? { example: route.example.body } : {}),
            },
          },
        },
      },
      responses: {
        [String(route.status ?? 200)]: {
          description: route.message,
          headers: route.etag ? { ...requestIdHeader, ETag: headerRef('ETag') } : requestIdHeader,
          content: { [route.contentType ?? 'application/json']: successContent(route) },
        },
        ...(route.created
          ? {
              201: {
                description: route.created,
                headers: requestIdHeader,
                content: { 'application/json': successContent(route) },
              },
            }
          : {}),
        ...Object.fromEntries(errorStatuses(route).map((status) => [status, errorResponse(status, route)])),
      } as never,
    });
  }
  // The job file of `jobsctl plan` and `apply` is no operation's, but editors validate against it: a component
  // of its own, named by its meta id as every other schema is.
  const generator = new OpenApiGeneratorV31([...registry.definitions, { type: 'schema', schema: JobFileSchema }]);
  const document = generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Jobs API',
      version,
      description:
        'Define container jobs, run them on demand or on a schedule, and watch their runs. Every response but this document is an envelope: ' +
        '{"status": "success", "message", "data"} (lists add next_cursor) or {"status": "error", "message", "errors": [{"field", "message"}]}.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      contact: { name: 'Jobs service maintainers' },
    },
    servers: [{ url: '/', description: 'The service this document was read from' }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
  }) as unknown as Record<string, unknown>;
  return nullableReferences(document) as Record<string, unknown>;
}

/**
 * Null where the server takes it (PATCH resets a field with null). The generator writes a nullable component as
 * the component AND a type that admits null (`allOf: [{$ref}, {type: [T, "null"]}]`), which null itself fails:
 * the document says `anyOf: [{$ref}, {type: "null"}]`; and a nullable enum gets null among its values.
 */
function nullableReferences(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableReferences);
  if (!node || typeof node !== 'object') return node;
  const { allOf, ...rest } = node as { allOf?: Array<Record<string, unknown>> };
  const reference = allOf?.find((part) => typeof part.$ref === 'string');
  const nullable = allOf?.find(
    (part) => Object.keys(part).length === 1 && Array.isArray(part.type) && (part.type as unknown[]).includes('null'),
  );
  if (allOf?.length === 2 && reference && nullable) {
    return { ...(nullableReferences(rest) as object), anyOf: [reference, { type: 'null' }] };
  }
  // A nullable enum must list null among its values too, or null fails the enum.
  const { type, enum: values } = node as { type?: unknown; enum?: unknown[] };
  const withNull =
    Array.isArray(type) && type.includes('null') && values && !values.includes(null) ? { enum: [...values, null] } : {};
  return {
    ...Object.fromEntries(Object.entries(node).map(([key, value]) => [key, nullableReferences(value)])),
    ...withNull,
  };
}
