// Reading runs and logs: long polls, batch statuses, list filters, job status and the log API's parameters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  job,
  projectPath,
  startTestService,
  type ApiClient,
  type ApiResponse,
  type TestService,
} from '../helpers/service.ts';
import type { LogLine } from '../../client/jobs-client.ts';

let t: TestService;
let api: ApiClient;
const P = projectPath('acme', 'reads');

beforeAll(async () => {
  t = await startTestService('runs-read');
  api = t.api;
});
afterAll(() => t.stop());

async function createJob(overrides: Record<string, unknown>, path = P): Promise<string> {
  return (await api.post(`${path}/jobs`, job(overrides))).body.data.id;
}

async function runToEnd(jobId: string, path = P) {
  const run = (await api.post(`${path}/jobs/${jobId}/runs`)).body.data;
  return (await api.get(`${path}/jobs/${jobId}/runs/${run.id}?wait=20`)).body.data;
}

describe('GET a run with wait', () => {
  it('holds the reply until the run finishes', async () => {
    const jobId = await createJob({ command: 'sleep 1' });
    const run = (await api.post(`${P}/jobs/${jobId}/runs`)).body.data;
    const started = Date.now();
    const done = await api.get(`${P}/jobs/${jobId}/runs/${run.id}?wait=20`);
    expect(done.body.data.status).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('answers with the run still running when the wait is up', async () => {
    const jobId = await createJob({ command: 'sleep 30' });
    const run = (await api.post(`${P}/jobs/${jobId}/runs`)).body.data;
    const started = Date.now();
    const response = await api.get(`${P}/jobs/${jobId}/runs/${run.id}?wait=1`);
    expect(response.body.data.status).toMatch(/pending|running/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await api.post(`${P}/jobs/${jobId}/runs/${run.id}/cancel`, { mode: 'force' });
  });

  it('rejects a wait over 20 s and an unknown run', async () => {
    const jobId = await createJob({ command: 'true' });
    expect(
      (await api.get(`${P}/jobs/${jobId}/runs/run_01JD6R0G2M4S8V1X3Z5B7D9F1H?wait=21`)).body.errors?.[0]?.field,
    ).toBe('wait');
    expect((await api.get(`${P}/jobs/${jobId}/runs/run_01JD6R0G2M4S8V1X3Z5B7D9F1H`)).status).toBe(404);
  });
});

describe('POST runs/statuses', () => {
  it('maps each id to its status, unknown ids to not_found', async () => {
    const ok = await runToEnd(await createJob({ command: 'true' }));
    const bad = await runToEnd(await createJob({ command: 'exit 2' }));
    const unknown = 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H';
    const response = await api.post(`${P}/runs/statuses`, { run_ids: [ok.id, bad.id, unknown] });
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({
      [ok.id]: { id: ok.id, status: 'succeeded', exit_code: 0, error: null, output: null },
      [bad.id]: { id: bad.id, status: 'failed', exit_code: 2, error: 'exited with code 2', output: null },
      [unknown]: { id: unknown, status: 'not_found', exit_code: null, error: null, output: null },
    });
  });

  it('with wait, answers when all are finished', async () => {
    const jobId = await createJob({ command: 'sleep 1' });
    const a = (await api.post(`${P}/jobs/${jobId}/runs`)).body.data;
    const b = (await api.post(`${P}/jobs/${jobId}/runs`)).body.data;
    const response = await api.post(`${P}/runs/statuses`, { run_ids: [a.id, b.id], wait: 20, poll_interval: 1 });
    expect(Object.values(response.body.data).map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('does not see runs of another project', async () => {
    const other = projectPath('acme', 'elsewhere');
    const run = await runToEnd(await createJob({ command: 'true' }, other), other);
    const response = await api.post(`${P}/runs/statuses`, { run_ids: [run.id] });
    expect(response.body.data[run.id]?.status).toBe('not_found');
  });

  it('limits the request to 100 ids and validates them', async () => {
    const ids = Array.from({ length: 101 }, () => 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H');
    expect((await api.post(`${P}/runs/statuses`, { run_ids: ids })).body.errors?.[0]).toEqual({
      field: 'run_ids',
      message: 'at most 100 run ids',
    });
    expect((await api.post(`${P}/runs/statuses`, { run_ids: ['nope'] })).body.errors?.[0]?.field).toBe('run_ids.0');
    expect(
      (await api.post(`${P}/runs/statuses`, { run_ids: [], wait: 30 })).body.errors?.map((e) => e.field).sort(),
    ).toEqual(['run_ids', 'wait']);
  });
});

describe('run lists', () => {
  it('lists a job, a project and a workspace newest first, with their filters and cursors', async () => {
    const Q = projectPath('lists', 'one');
    const R = projectPath('lists', 'two');
    const good = await createJob({ command: 'true' }, Q);
    const bad = await createJob({ command: 'exit 1' }, Q);
    const elsewhere = await createJob({ command: 'true' }, R);
    const runs = [
      await runToEnd(good, Q),
      await runToEnd(bad, Q),
      await runToEnd(good, Q),
      await runToEnd(elsewhere, R),
    ] as const;
    const ids = (response: { body: { data?: Array<{ id: string }> } }) => (response.body.data ?? []).map((r) => r.id);

    expect(ids(await api.get(`${Q}/jobs/${good}/runs`))).toEqual([runs[2].id, runs[0].id]);
    expect(ids(await api.get(`${Q}/jobs/${bad}/runs?status=failed`))).toEqual([runs[1].id]);
    expect(ids(await api.get(`${Q}/jobs/${bad}/runs?status=succeeded`))).toEqual([]);
    expect(ids(await api.get(`${Q}/runs`))).toEqual([runs[2].id, runs[1].id, runs[0].id]);
    expect(ids(await api.get(`${Q}/runs?job_id=${good}`))).toEqual([runs[2].id, runs[0].id]);
    expect(ids(await api.get(`${Q}/runs?status=failed&trigger=manual`))).toEqual([runs[1].id]);
    expect(ids(await api.get(`${Q}/runs?trigger=schedule`))).toEqual([]);
    expect(ids(await api.get('/v1/workspaces/lists/runs'))).toEqual([runs[3].id, runs[2].id, runs[1].id, runs[0].id]);
    expect(ids(await api.get('/v1/workspaces/lists/runs?project_id=two'))).toEqual([runs[3].id]);

    const first = await api.get(`${Q}/runs?limit=2`);
    expect(ids(first)).toEqual([runs[2].id, runs[1].id]);
    const second = await api.get(`${Q}/runs?limit=2&cursor=${first.body.next_cursor}`);
    expect(ids(second)).toEqual([runs[0].id]);
    expect(second.body.next_cursor).toBeNull();
    expect((await api.get(`${Q}/runs?status=lost`)).body.errors?.[0]?.field).toBe('status');
  });

  it('answers 404 for the runs of a job that does not exist', async () => {
    expect((await api.get(`${P}/jobs/job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA/runs`)).status).toBe(404);
  });
});

describe('GET job status', () => {
  it('shows the latest run, the counts and the schedule with its next fire', async () => {
    const jobId = await createJob({ command: 'exit 1', schedule: '0 3 * * *', timezone: 'Europe/Berlin' });
    const empty = await api.get(`${P}/jobs/${jobId}/status`);
    expect(empty.body.data).toMatchObject({
      latest_run: null,
      counts: { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, total: 0, retained: 0 },
    });
    const run = await runToEnd(jobId);
    const status = await api.get(`${P}/jobs/${jobId}/status`);
    expect(status.body.data.latest_run?.id).toBe(run.id);
    expect(status.body.data.counts).toEqual({
      pending: 0,
      running: 0,
      succeeded: 0,
      failed: 1,
      cancelled: 0,
      total: 1,
      retained: 1,
    });
    expect(status.body.data.schedule).toMatchObject({ cron: '0 3 * * *', timezone: 'Europe/Berlin', suspended: false });
    const next = new Date(status.body.data.schedule?.next_fire_at ?? Number.NaN);
    expect(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(next),
    ).toBe('03:00');
  });
});

describe('logs', () => {
  let jobId: string;
  let runs: Array<{ id: string }>;

  beforeAll(async () => {
    jobId = await createJob({ command: 'for i in 1 2 3; do echo "line $i $JOBS_TAG"; done; echo warn-line >&2' });
    runs = [];
    for (const tag of ['first', 'second']) {
      const run = (await api.post(`${P}/jobs/${jobId}/runs`, { env: { JOBS_TAG: tag } })).body.data;
      runs.push((await api.get(`${P}/jobs/${jobId}/runs/${run.id}?wait=20`)).body.data);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  const messages = (response: { body: { data?: Array<{ message: string }> } }) =>
    (response.body.data ?? []).map((l) => l.message);
  /** Order is defined within a stream; across stdout and stderr it depends on the program's buffering. */
  const stdout = (response: { body: { data?: Array<{ message: string; stream: string }> } }) =>
    (response.body.data ?? []).filter((l) => l.stream === 'stdout').map((l) => l.message);

  it("returns a run's lines oldest first, each with timestamp, run id and stream", async () => {
    const response = await api.get(`${P}/jobs/${jobId}/runs/${runs[0]!.id}/logs`);
    expect(response.body.message).toBe('Logs');
    expect(stdout(response)).toEqual(['line 1 first', 'line 2 first', 'line 3 first']);
    expect(
      response.body.data
        .filter((l: { stream: string }) => l.stream === 'stderr')
        .map((l: { message: string }) => l.message),
    ).toEqual(['warn-line']);
    for (const line of response.body.data) {
      expect(Object.keys(line)).toEqual(['timestamp', 'run_id', 'attempt', 'task_index', 'stream', 'message']);
      expect(line).toMatchObject({ run_id: runs[0]!.id, attempt: 1, task_index: 0 });
    }
    const times = response.body.data.map((l: { timestamp: string }) => l.timestamp);
    expect(times).toEqual([...times].sort());
    // The run has finished and every line was returned: a follower stops here.
    expect(response.body.complete).toBe(true);
    expect(typeof response.body.next_cursor).toBe('string');
  });

  it('answers a finished run read past its end at once, empty and complete, with the same cursor', async () => {
    const first = await api.get(`${P}/jobs/${jobId}/runs/${runs[0]!.id}/logs?limit=1`);
    expect(first.body).toMatchObject({ complete: false });
    const all = await api.get(`${P}/jobs/${jobId}/runs/${runs[0]!.id}/logs`);
    const started = Date.now();
    const after = await api.get(`${P}/jobs/${jobId}/runs/${runs[0]!.id}/logs?cursor=${all.body.next_cursor}&wait=20`);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(after.body).toMatchObject({ data: [], next_cursor: all.body.next_cursor, complete: true });
  });

  it('filters by attempt and task', async () => {
    expect(messages(await api.get(`${P}/jobs/${jobId}/runs/${runs[0]!.id}/logs?attempt=1&task=0`))).toHaveLength(4);
    expect(messages(await api.get(`${P}/jobs/${jobId}/runs/${runs[0]!.id}/logs?attempt=2`))).toEqual([]);
    expect(messages(await api.get(`${P}/jobs/${jobId}/logs?task=1`))).toEqual([]);
  });

  it("refuses a cursor that is not one, or is another run's, naming cursor", async () => {
    const other = await api.get(`${P}/jobs/${jobId}/runs/${runs[1]!.id}/logs`);
    const wrongRun = await api.get(`${P}/jobs/${jobId}/runs/${runs[0]!.id}/logs?cursor=${other.body.next_cursor}`);
    expect(wrongRun.status).toBe(400);
    expect(wrongRun.body.errors?.[0]?.field).toBe('cursor');
    const garbage = await api.get(`${P}/jobs/${jobId}/runs/${runs[0]!.id}/logs?cursor=not-a-cursor`);
    expect(garbage.status).toBe(400);
    expect(garbage.body.errors?.[0]?.field).toBe('cursor');
    expect((await api.get(`${P}/jobs/${jobId}/logs?cursor=${other.body.next_cursor}`)).body.errors?.[0]?.field).toBe(
      'cursor',
    );
  });

  it("returns a job's lines across its runs, oldest first", async () => {
    const response = await api.get(`${P}/jobs/${jobId}/logs?limit=1000`);
    expect(stdout(response)).toEqual([
      'line 1 first',
      'line 2 first',
      'line 3 first',
      'line 1 second',
      'line 2 second',
      'line 3 second',
    ]);
    expect(response.body.data.map((l: { run_id: string }) => l.run_id)).toEqual([
      ...Array(4).fill(runs[0]!.id),
      ...Array(4).fill(runs[1]!.id),
    ]);
  });

  it('pages with limit and cursor, without losing or repeating a line', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    // The cursor is always there; an empty page says the lines so far are all read.
    for (let page = 0; page < 10; page++) {
      const response: ApiResponse<LogLine[]> = await api.get(
        `${P}/jobs/${jobId}/logs?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(response.body.data.length).toBeLessThanOrEqual(3);
      if (response.body.data.length === 0) break;
      seen.push(...messages(response));
      cursor = response.body.next_cursor ?? null;
    }
    expect(seen).toHaveLength(8);
    expect(seen.filter((m) => m === 'warn-line')).toHaveLength(2);
  });

  it('filters by text', async () => {
    expect(messages(await api.get(`${P}/jobs/${jobId}/logs?filter=second`))).toEqual([
      'line 1 second',
      'line 2 second',
      'line 3 second',
    ]);
    expect(messages(await api.get(`${P}/jobs/${jobId}/runs/${runs[1]!.id}/logs?filter=line%202`))).toEqual([
      'line 2 second',
    ]);
  });

  it('windows by start and end (ISO or epoch ms) and by since', async () => {
    const all = (await api.get(`${P}/jobs/${jobId}/logs`)).body.data;
    const boundary = all.find((l) => l.message === 'line 1 second')?.timestamp;
    const firstOfSecond = all.find((l) => l.run_id === runs[1]!.id)?.timestamp;
    const fromSecond = await api.get(`${P}/jobs/${jobId}/logs?start=${firstOfSecond}`);
    expect(new Set(fromSecond.body.data.map((l: { run_id: string }) => l.run_id))).toEqual(new Set([runs[1]!.id]));
    expect(stdout(fromSecond)).toEqual(['line 1 second', 'line 2 second', 'line 3 second']);
    const beforeSecond = await api.get(`${P}/jobs/${jobId}/logs?end=${Date.parse(firstOfSecond!) - 1}`);
    expect(stdout(beforeSecond)).toEqual(['line 1 first', 'line 2 first', 'line 3 first']);
    expect(messages(await api.get(`${P}/jobs/${jobId}/logs?start=${boundary}`))).toContain('line 1 second');
    expect(messages(await api.get(`${P}/jobs/${jobId}/logs?since=1h`))).toHaveLength(8);
    expect(messages(await api.get(`${P}/jobs/${jobId}/logs?start=${Date.now() + 60_000}`))).toEqual([]);
  });

  it('rejects bad parameters, naming them', async () => {
    const field = async (query: string) => (await api.get(`${P}/jobs/${jobId}/logs?${query}`)).body.errors?.[0]?.field;
    expect(await field('since=5y')).toBe('since');
    expect(await field('since=1h&start=2026-01-01T00:00:00Z')).toBe('since');
    expect(await field('start=yesterday')).toBe('start');
    expect(await field('start=2026-02-01T00:00:00Z&end=2026-01-01T00:00:00Z')).toBe('end');
    expect(await field('limit=10001')).toBe('limit');
    expect(await field('cursor=bogus')).toBe('cursor');
  });
});
