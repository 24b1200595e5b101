// Bad input never gets a 5xx: random methods, paths, query strings, headers and bodies, each answered with a
// status below 500 and a JSON envelope that the served OpenAPI document documents for that request.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../functions/api/routes.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

let t: TestService;
let jobPath: string;

beforeAll(async () => {
  t = await startTestService('property');
  const created = await t.api.post('/v1/workspaces/acme/projects/etl/jobs', {
    name: 'target',
    image: 'alpine',
    command: 'true',
  });
  jobPath = `/v1/workspaces/acme/projects/etl/jobs/${created.body.data.id}`;
});
afterAll(() => t.stop());

const segment = fc.oneof(
  fc.constantFrom(
    'acme',
    'etl',
    'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA',
    'key_admin',
    '..',
    '%2e%2e',
    '%00',
    '%ZZ',
    'ACME',
    '-',
    '',
  ),
  fc.string({ maxLength: 70 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
);

/** Route templates with random parameter values, the job that exists, and entirely random paths. */
const path = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...Object.values(routes).map((r) => r.path)),
      fc.array(segment, { minLength: 4, maxLength: 4 }),
    )
    .map(([template, values]) => {
      let i = 0;
      return template.replace(/\{\w+\}/g, () => values[i++ % values.length] as string);
    }),
  fc.constant('JOB'),
  fc.array(segment, { maxLength: 8 }).map((parts) => `/${parts.join('/')}`),
);

const query = fc.oneof(
  fc.constant(''),
  fc
    .dictionary(
      fc.constantFrom('limit', 'cursor', 'tag', 'scheduled', 'x', 'wait'),
      fc.oneof(fc.string(), fc.integer().map(String), fc.constantFrom('0', '-1', '1e9', 'true', 'a:b')),
    )
    .map((params) => `?${new URLSearchParams(params).toString()}`),
);

const jobField = fc.constantFrom(
  'name',
  'image',
  'command',
  'env',
  'schedule',
  'timezone',
  'suspended',
  'tags',
  'timeout_seconds',
  'retries',
  'concurrency',
  'cpu',
  'memory_mb',
  'id',
  'created_at',
  '__proto__',
  'constructor',
  'role',
  'workspaces',
);
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    '* * * * *',
    '0 0 31 2 *',
    '@daily',
    'Europe/Berlin',
    'alpine:3.20',
    0.25,
    512,
    1e308,
    -0,
    null,
    [],
    {},
  ),
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.dictionary(jobField, fieldValue, { maxKeys: 8 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"a":',
    '[[[[[[[[[[',
    'null',
    '"x"',
    '{"name":"a","image":"b","command":"c"}',
    `{"env":{${'"A":"b",'.repeat(3)}"C":1}}`,
  ),
);

const authorization = fc.oneof(
  fc.constant('admin'),
  fc.constant(undefined),
  fc.constantFrom('Bearer ', 'Bearer jobs_nope', 'Basic abc', 'bearer', 'Bearer a b'),
);
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/xml',
  'multipart/form-data',
  '',
  'application/vnd.api+json',
);
const method = fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS');

describe('any request', () => {
  it('gets a status below 500 and a JSON envelope (1,000 random requests)', async () => {
    let count = 0;
    await fc.assert(
      fc.asyncProperty(method, path, query, authorization, contentType, body, async (m, p, q, auth, type, payload) => {
        count++;
        const headers: Record<string, string> = {};
        if (auth === 'admin') headers.authorization = `Bearer ${t.adminKey}`;
        else if (auth !== undefined) headers.authorization = auth;
        if (type !== undefined) headers['content-type'] = type;
        const target = p === 'JOB' ? jobPath : p;
        const response = await t.api.request(m, `${target}${q}`, {
          key: null,
          headers,
          rawBody: m === 'GET' || payload === undefined ? undefined : payload,
        });
        expect(response.status, `${m} ${target}${q} -> ${JSON.stringify(response.body)}`).toBeLessThan(500);
        // The replies that are not envelopes (the contract check validated each): the OpenAPI document itself, and
        // the service's figures as OpenMetrics text.
        if (response.status === 200 && typeof response.body === 'string') {
          expect(response.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
          return;
        }
        if (response.status === 200 && 'openapi' in response.body) return;
        const envelope = response.body as { status: string; message: unknown };
        expect(['success', 'error']).toContain(envelope.status);
        expect(typeof envelope.message).toBe('string');
        if (envelope.status === 'error') expect(Array.isArray((envelope as { errors?: unknown }).errors)).toBe(true);
      }),
      { numRuns: 1000 },
    );
    expect(count).toBeGreaterThanOrEqual(1000);
  }, 120_000);
});
