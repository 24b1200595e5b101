// The served OpenAPI document: the raw 3.1 document tools read, exactly the route table, clean by Redocly's
// recommended rules, and exact both ways: every response of the suite validates against it (the shared client),
// and every request it allows is accepted, for each operation.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorStatuses } from '../../functions/api/openapi.ts';
import { routes, type OperationId, type RouteDef } from '../../functions/api/routes.ts';
import { PROJECT_DIR } from '../../local-server/service.ts';
import { fillPath, operationFixtures, type OperationFixtures } from '../helpers/operation-fixtures.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

let t: TestService;
let doc: any;
let fixtures: OperationFixtures;

beforeAll(async () => {
  t = await startTestService('openapi');
  const response = await t.api.get('/v1/openapi.json', { key: null });
  expect(response.status).toBe(200);
  doc = response.body;
  fixtures = await operationFixtures(t.api, 'acme', 'accept');
});
afterAll(() => t.stop());

type Operation = {
  operationId: string;
  tags: string[];
  description: string;
  parameters?: Parameter[];
  requestBody?: any;
  responses: Record<string, any>;
};
type Parameter = { name: string; in: string; required?: boolean; schema: any };

function operations(): Array<{ method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}

describe('GET /v1/openapi.json', () => {
  it('answers the OpenAPI 3.1 document itself, not an envelope, with exactly the routes of the route table', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.status).toBeUndefined();
    expect(doc.info.license.name).toBeTruthy();
    expect(doc.info.contact).toBeTruthy();
    const documented = operations().map(({ method, path }) => `${method} ${path}`);
    const table = (Object.values(routes) as RouteDef[]).map((r) => `${r.method} ${r.path}`);
    expect(documented.sort()).toEqual(table.sort());
  });

  it('gives every operation a tag, a description, examples and every status it can answer, with its headers', () => {
    for (const { op } of operations()) {
      const route = routes[op.operationId as OperationId] as RouteDef;
      expect(op.tags, op.operationId).toEqual([route.group]);
      expect(op.description.length, op.operationId).toBeGreaterThan(10);
      const success = String(route.status ?? 200);
      const created = route.created ? ['201'] : [];
      expect(Object.keys(op.responses).sort(), op.operationId).toEqual(
        [success, ...created, ...errorStatuses(route)].sort(),
      );
      const media = Object.keys(op.responses[success].content)[0]!;
      expect(op.responses[success].content[media].example, op.operationId).toBeDefined();
      if (op.requestBody) expect(op.requestBody.content['application/json'].example, op.operationId).toBeDefined();
      if (op.responses['401']) expect(op.responses['401'].headers['WWW-Authenticate'], op.operationId).toBeDefined();
      expect(op.responses['405'].headers.Allow, op.operationId).toBeDefined();
      expect(op.responses['429'].headers['Retry-After'], op.operationId).toBeDefined();
      if (op.responses['503']) expect(op.responses['503'].headers['Retry-After'], op.operationId).toBeDefined();
    }
    expect(
      doc.paths['/v1/workspaces/{workspace_id}/projects/{project_id}/jobs/{job_id}/runs'].post.responses['422'],
    ).toBeDefined();
    // A few operations written out in full, so the statuses are not only the ones the document's builder computes.
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses).sort().join(' ');
    const project = '/v1/workspaces/{workspace_id}/projects/{project_id}';
    expect(statuses('/v1/health', 'get')).toBe('200 400 405 429 503');
    expect(statuses(`${project}/jobs`, 'post')).toBe('201 400 401 403 404 405 409 413 415 429 503');
    expect(statuses(`${project}/jobs/{job_id}/runs`, 'post')).toBe('202 400 401 403 404 405 409 413 415 422 429 503');
    expect(statuses(`${project}/jobs/{job_id}/runs/{run_id}/logs`, 'get')).toBe('200 400 401 404 405 429 503');
    expect(statuses(`${project}/webhooks`, 'post')).toBe('201 400 401 403 404 405 409 413 415 429 503');
    expect(statuses('/v1/keys', 'post')).toBe('201 400 401 403 405 413 415 429 503');
    expect(doc.components.headers.RetryAfter.required).toBe(true);
  });

  it('is as strict as the server: integer query parameters with bounds, enums, patterns and formats', () => {
    const logs = doc.paths['/v1/workspaces/{workspace_id}/projects/{project_id}/jobs/{job_id}/logs'].get
      .parameters as Parameter[];
    const param = (name: string) => logs.find((p) => p.name === name)?.schema;
    expect(param('limit')).toMatchObject({ type: 'integer', minimum: 1, maximum: 10_000, default: 100 });
    expect(param('since')).toMatchObject({ type: 'string', pattern: expect.any(String) });
    expect(param('start').anyOf).toEqual([
      { type: 'string', format: 'date-time' },
      { type: 'integer', minimum: 0 },
    ]);
    const run = doc.paths['/v1/workspaces/{workspace_id}/projects/{project_id}/jobs/{job_id}/runs/{run_id}'].get
      .parameters as Parameter[];
    expect(run.find((p) => p.name === 'wait')?.schema).toMatchObject({ type: 'integer', minimum: 0, maximum: 20 });
    const jobs = doc.paths['/v1/workspaces/{workspace_id}/projects/{project_id}/jobs'].get.parameters as Parameter[];
    expect(jobs.find((p) => p.name === 'tag')?.schema).toMatchObject({
      type: 'array',
      items: { type: 'string', pattern: expect.any(String) },
    });
    expect(jobs.find((p) => p.name === 'scheduled')?.schema.type).toBe('boolean');
    const create = doc.components.schemas.JobCreate;
    expect(create.properties.cpu.enum).toEqual([0.25, 0.5, 1, 2, 4, 8, 16]);
    expect(create.properties.image.pattern).toEqual(expect.any(String));
    expect(create.required).toEqual(['name', 'image', 'command']);
    expect(create.additionalProperties).toBe(false);
    // A writer or reader key must name its workspaces; an admin key need not.
    const keyCreate = doc.components.schemas.KeyCreate.oneOf as Array<{
      properties: { role: { enum: string[] } };
      required: string[];
    }>;
    expect(keyCreate.find((o) => o.properties.role.enum[0] === 'writer')?.required).toContain('workspaces');
    expect(keyCreate.find((o) => o.properties.role.enum[0] === 'admin')?.required).not.toContain('workspaces');
    // A job that never ran has latest_run null, and a run shows override values as ***.
    expect(doc.components.schemas.JobStatus.properties.latest_run.anyOf).toContainEqual({ type: 'null' });
    expect(doc.components.schemas.Run.properties.overrides.properties.env.additionalProperties).toEqual({
      type: 'string',
      enum: ['***'],
    });
  });

  it('answers HEAD and any other method a path lacks with the documented 405 and its Allow header', async () => {
    const head = await t.api.request('HEAD', '/v1/health', { key: null });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET');
    const put = await t.api.request('PUT', '/v1/workspaces/acme/projects/etl/jobs');
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
  });

  it("passes Redocly's recommended rules with no error and no warning", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-redocly-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc));
      const redocly = join(PROJECT_DIR, 'node_modules', '.bin', 'redocly');
      const result = await promisify(execFile)(redocly, ['lint', file, '--format=json'], {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      }).catch((error: { stdout: string }) => error);
      const report = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as {
        totals: { errors: number; warnings: number };
        problems: Array<{ ruleId: string; message: string }>;
      };
      // The job file is no operation's: it is in the document for editors and the CLI (jobsctl schema).
      const jobFile = (p: { ruleId: string; message: string }) =>
        p.ruleId === 'no-unused-components' && p.message === 'Component: "JobFile" is never used.';
      expect(report.problems.filter((p) => !jobFile(p))).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: report.problems.filter(jobFile).length });
      expect(report.problems.filter(jobFile)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** A value the document allows for a query parameter, or none where only the server can make one (a cursor). */
function allowedValues(schema: any): string[] {
  if (schema.type === 'integer')
    return [...new Set([schema.minimum, schema.maximum, schema.default].filter((v) => v !== undefined).map(String))];
  if (schema.type === 'boolean') return ['true', 'false'];
  if (schema.enum) return schema.enum.map(String);
  if (schema.anyOf)
    return [...(schema.example !== undefined ? [String(schema.example)] : []), ...schema.anyOf.flatMap(allowedValues)];
  if (schema.type === 'array')
    return allowedValues({ ...schema.items, example: schema.example?.[0] ?? schema.items.example });
  if (schema.default !== undefined) return [String(schema.default)];
  if (schema.example !== undefined) return [String(schema.example)];
  return [];
}

describe('a request the document allows', () => {
  it('says null wherever the server takes null: each nullable body field, sent as null, passes the document and the server', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(doc, 'doc');
    const resolve = (schema: any): any =>
      schema?.$ref ? resolve(doc.components.schemas[schema.$ref.split('/').pop()]) : schema;
    const admitsNull = (schema: any): boolean =>
      schema?.type === 'null' ||
      (Array.isArray(schema?.type) && schema.type.includes('null')) ||
      (schema?.anyOf ?? []).some(admitsNull);
    const sent: string[] = [];
    const refused: string[] = [];
    for (const { method, path, op } of operations()) {
      const content = op.requestBody?.content?.['application/json'];
      if (!content) continue;
      const schema = resolve(content.schema);
      const pointer = ['paths', path, method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema'];
      const validate = ajv.compile({
        $ref: `doc#/${pointer.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`,
      });
      for (const [field, property] of Object.entries<any>(schema.properties ?? {})) {
        if (!admitsNull(property) && !admitsNull(resolve(property))) continue;
        const route = routes[op.operationId as OperationId] as RouteDef;
        const request = await fixtures[op.operationId as OperationId]();
        const example = content.example ?? request.body ?? {};
        const body = {
          ...(method === 'PATCH' ? {} : example),
          ...(op.operationId === 'createJob' ? { name: `null-${sent.length}` } : {}),
          [field]: null,
        };
        sent.push(`${op.operationId} ${field}`);
        if (!validate(body))
          refused.push(`the document refuses ${op.operationId} ${field}: null (${ajv.errorsText(validate.errors)})`);
        const response = await t.api.request(method, fillPath(path, request.params), { body });
        if (response.status !== (route.status ?? 200))
          refused.push(
            `the server refuses ${op.operationId} ${field}: null → ${response.status} ${response.body?.message}`,
          );
      }
    }
    expect(refused).toEqual([]);
    // The fields PATCH resets with null, among them those whose schema is a component of its own.
    expect(sent).toEqual(expect.arrayContaining(['patchJob retry_rules', 'patchJob history', 'patchJob schedule']));
  });

  it('is accepted by every operation: its example body and every bound of its query parameters', async () => {
    const rejected: string[] = [];
    let sent = 0;
    for (const { method, path, op } of operations()) {
      const route = routes[op.operationId as OperationId] as RouteDef;
      // A PUT that can create is given a new name by its fixture: it creates.
      const success = route.created ? 201 : (route.status ?? 200);
      const queries = (op.parameters ?? [])
        .filter((p) => p.in === 'query')
        .flatMap((p) => allowedValues(p.schema).map((value) => `${p.name}=${encodeURIComponent(value)}`));
      // One request per allowed query value, and one with none; `wait` at its maximum holds only an active run.
      for (const query of ['', ...queries]) {
        const request = await fixtures[op.operationId as OperationId]();
        let body = op.requestBody?.content['application/json'].example ?? request.body;
        if (op.operationId === 'createJob') body = { ...body, name: `accepted-${sent}` };
        const target = `${fillPath(path, request.params)}${query ? `?${query}` : ''}`;
        const response = await t.api.request(method, target, { body });
        sent++;
        if (response.status !== success)
          rejected.push(`${method} ${target} ${JSON.stringify(body)} → ${response.status} ${response.body?.message}`);
      }
    }
    expect(rejected).toEqual([]);
    expect(sent).toBeGreaterThan(50);
  }, 120_000);
});
