// History limits through the started service: five runs of a job kept to three leave the newest three, and the
// others' runs, log files and metric samples are gone from the data dir; bad limits are refused naming the field.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, projectPath, startTestService, waitForStatus, type TestService } from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';

let t: TestService;
const P = projectPath('acme', 'retention');
beforeAll(async () => {
  t = await startTestService('retention');
});
afterAll(() => t?.stop());

describe('history limits', () => {
  it('keeps the newest max_runs runs and removes the others with their log files', async () => {
    const created = (
      await t.api.post(`${P}/jobs`, job({ name: 'kept', command: 'echo line', history: { max_runs: 3 } }))
    ).body.data;
    expect(created.history).toEqual({ max_runs: 3, max_age_days: 90 });
    const runs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = (await t.api.post(`${P}/jobs/${created.id}/runs`)).body.data;
      await waitForStatus(t.api, `${P}/jobs/${created.id}/runs/${run.id}`, ['succeeded'], 15_000);
      runs.push(run.id);
    }
    const logFile = (runId: string) => join(t.service.dataDir, 'logs', created.id, `${runId}.jsonl`);
    await eventually(
      async () => (await t.api.get(`${P}/jobs/${created.id}/runs`)).body.data.length === 3,
      'three runs kept',
      15_000,
    );
    const listed = (await t.api.get(`${P}/jobs/${created.id}/runs`)).body.data.map((r: { id: string }) => r.id);
    expect(listed.sort()).toEqual(runs.slice(2).sort());
    for (const removed of runs.slice(0, 2)) {
      expect((await t.api.get(`${P}/jobs/${created.id}/runs/${removed}`)).status).toBe(404);
      expect(existsSync(logFile(removed))).toBe(false);
    }
    for (const keptRun of runs.slice(2)) expect(existsSync(logFile(keptRun))).toBe(true);
    const status = (await t.api.get(`${P}/jobs/${created.id}/status`)).body.data;
    expect(status.counts).toMatchObject({ succeeded: 5, total: 5, retained: 3 });
  });

  it.each([
    [{ max_runs: 0 }, 'history.max_runs'],
    [{ max_runs: 10_001 }, 'history.max_runs'],
    [{ max_age_days: 0 }, 'history.max_age_days'],
    [{ max_age_days: 3651 }, 'history.max_age_days'],
    [{ keep: 'forever' }, 'history.keep'],
  ])('refuses history %j naming %s, and creates nothing', async (history, field) => {
    const response = await t.api.post(
      `${P}/jobs`,
      job({ name: `bad-${field}-${JSON.stringify(history).length}`, history }),
    );
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('patches one limit and keeps the other', async () => {
    const created = (await t.api.post(`${P}/jobs`, job({ name: 'patched', history: { max_age_days: 7 } }))).body.data;
    expect(created.history).toEqual({ max_runs: 1000, max_age_days: 7 });
    const patched = (await t.api.patch(`${P}/jobs/${created.id}`, { history: { max_runs: 50 } })).body.data;
    expect(patched.history).toEqual({ max_runs: 50, max_age_days: 7 });
    const reset = (await t.api.patch(`${P}/jobs/${created.id}`, { history: null })).body.data;
    expect(reset.history).toEqual({ max_runs: 1000, max_age_days: 90 });
  });
});
