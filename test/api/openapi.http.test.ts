import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, type RouteDef } from '../../functions/api/routes.ts';
import { startTestService, type TestService } from '../helpers/service.ts';

let t: TestService;
let doc: any;

beforeAll(async () => {
  t = await startTestService('openapi');
  const response = await t.api.get('/v1/openapi.json', { key: null });
  expect(response.status).toBe(200);
  doc = response.body.data;
});
afterAll(() => t.stop());

describe('GET /v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document with exactly the routes of the route table', () => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const table = (Object.values(routes) as RouteDef[]).map((r) => `${r.method} ${r.path}`);
    expect(documented.sort()).toEqual(table.sort());
  });

  it('describes parameters, bodies and responses from the validating schemas', () => {
    const create = doc.paths['/v1/workspaces/{workspace_id}/projects/{project_id}/jobs'].post;
    expect(create.operationId).toBe('createJob');
    expect(create.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(['path:workspace_id', 'path:project_id']);
    expect(create.requestBody.required).toBe(true);
    expect(Object.keys(create.responses).sort()).toEqual(['201', '400', '401', '403', '404', '409', '413', '415', '429', '503']);
    expect(create.security).toEqual([{ bearer: [] }]);
    const jobCreate = doc.components.schemas.JobCreate;
    expect(jobCreate.required).toEqual(['name', 'image', 'command']);
    expect(jobCreate.additionalProperties).toBe(false);
    expect(Object.keys(doc.components.schemas.Job.properties)).toContain('memory_mb');
    const list = doc.paths['/v1/workspaces/{workspace_id}/projects/{project_id}/jobs'].get;
    expect(list.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'limit', 'scheduled', 'tag']);
    expect(doc.paths['/v1/health'].get.security).toEqual([]);
  });
});
