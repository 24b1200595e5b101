// The OpenAPI 3.1 document, generated from the route table and the same zod schemas that validate requests.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { ErrorEnvelope, listEnvelope, successEnvelope } from '../schemas/common.ts';
import { routes, type RouteDef } from './routes.ts';

const ERROR_STATUSES: Record<string, string> = {
  400: 'Invalid input; the message and errors[] name each field',
  401: 'No key, or an unknown or revoked key',
  403: "The key's role does not allow this",
  404: 'Not found, or not visible to this key',
  409: 'Conflicts with the current state',
  413: 'Body over 256 KiB',
  415: 'Body is not application/json',
  429: 'Too many requests; see Retry-After',
  503: 'A backing engine is unavailable; retry',
};

function errorResponses(route: RouteDef) {
  const statuses = ['400', '404', '429', '503'];
  if (route.access !== 'public') statuses.push('401', '403');
  if (route.body) statuses.push('413', '415');
  if (route.method !== 'GET') statuses.push('409');
  return Object.fromEntries(
    statuses.sort().map((s) => [s, { description: ERROR_STATUSES[s] as string, content: { 'application/json': { schema: ErrorEnvelope } } }]),
  );
}

export function openApiDocument(version: string): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  for (const [operationId, route] of Object.entries(routes) as Array<[string, RouteDef]>) {
    const data = route.response;
    registry.registerPath({
      operationId,
      method: route.method.toLowerCase() as 'get',
      path: route.path,
      summary: route.summary,
      security: route.access === 'public' ? [] : [{ [bearer.name]: [] }],
      request: {
        params: route.params as z.ZodObject | undefined,
        query: route.query as z.ZodObject | undefined,
        headers: route.headers,
        body: route.body && { required: Boolean(route.bodyRequired), content: { 'application/json': { schema: route.body } } },
      },
      responses: {
        [String(route.status ?? 200)]: {
          description: route.message,
          content: { 'application/json': { schema: route.list ? listEnvelope(data) : successEnvelope(data) } },
        },
        ...errorResponses(route),
      },
    });
  }
  const generator = new OpenApiGeneratorV31(registry.definitions);
  return generator.generateDocument({
    openapi: '3.1.0',
    info: { title: 'Jobs API', version, description: 'Define container jobs, run them on demand or on a schedule, and watch their runs.' },
    servers: [{ url: '/' }],
  }) as unknown as Record<string, unknown>;
}
