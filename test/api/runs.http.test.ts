// Runs end to end on the local host: the real state machine definition, the interpreter, real processes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning, processTree } from '../../functions/adapters/local/process-tree.ts';
import {
  eventually,
  job,
  projectPath,
  runPid,
  startTestService,
  waitForRun,
  waitForStatus,
  type ApiClient,
  type TestService,
} from '../helpers/service.ts';

let t: TestService;
let api: ApiClient;
const P = projectPath('acme', 'runs');
const scratch = mkdtempSync(join(tmpdir(), 'jobs-runs-scratch-'));

beforeAll(async () => {
  t = await startTestService('runs');
  api = t.api;
});
afterAll(() => t.stop());

async function createJob(overrides: Record<string, unknown>): Promise<string> {
  const response = await api.post(`${P}/jobs`, job(overrides));
  expect(response.status).toBe(201);
  return response.body.data.id;
}

async function trigger(jobId: string, body?: unknown, headers?: Record<string, string>) {
  return api.post(`${P}/jobs/${jobId}/runs`, body, { headers });
}

const runPath = (jobId: string, runId: string) => `${P}/jobs/${jobId}/runs/${runId}` as const;

async function runToEnd(overrides: Record<string, unknown>, body?: unknown) {
  const jobId = await createJob(overrides);
  const accepted = await trigger(jobId, body);
  expect(accepted.status).toBe(202);
  const finished = await api.get(`${runPath(jobId, accepted.body.data.id)}?wait=20`);
  return { jobId, accepted, run: finished.body.data };
}

/** The name of a process's program, or '' once it is gone. */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Waits until a run's log holds the line (the run reached that point). */
async function logged(jobId: string, runId: string, line: string): Promise<void> {
  await eventually(
    async () =>
      (await api.get(`${runPath(jobId, runId)}/logs`)).body.data.some((l: { message: string }) => l.message === line),
    `'${line}' logged`,
  );
}

function treeGone(pid: number): boolean {
  return !isRunning(pid) && processTree(pid).length === 0;
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  return eventually(() => treeGone(pid), `process ${pid} and its tree gone`, withinMs).then(
    () => true,
    () => false,
  );
}

describe('a run', () => {
  it('goes pending → running → succeeded, recording what it ran, where and for how long', async () => {
    const { accepted, run } = await runToEnd({ command: 'echo hello', image: 'alpine:3.20' });
    expect(accepted.body).toMatchObject({ status: 'success', message: 'Run accepted' });
    expect(accepted.body.data).toMatchObject({ status: 'pending', attempt: 0, trigger: 'manual', started_at: null });
    expect(accepted.body.data.id).toMatch(/^run_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(run).toMatchObject({
      status: 'succeeded',
      exit_code: 0,
      error: null,
      attempt: 1,
      image: 'alpine:3.20',
      command: ['/bin/sh', '-c', 'echo hello'],
      backend: { runner: 'process', execution: run.id },
    });
    expect(run.backend.task).toMatch(/^pid \d+$/);
    expect(Date.parse(run.started_at!)).toBeGreaterThanOrEqual(Date.parse(run.created_at));
    expect(run.duration_ms).toBe(Date.parse(run.finished_at!) - Date.parse(run.started_at!));
  });

  it('fails with the process exit code', async () => {
    const { run } = await runToEnd({ command: 'echo about to fail >&2; exit 3' });
    expect(run).toMatchObject({ status: 'failed', exit_code: 3, error: 'exited with code 3', attempt: 1 });
  });

  it('fails with 127, says the command was not found, and keeps the shell message', async () => {
    const { jobId, run } = await runToEnd({ command: ['no-such-command-anywhere'] });
    expect(run).toMatchObject({ status: 'failed', exit_code: 127, error: 'command not found (exit 127)' });
    const logs = await api.get(`${runPath(jobId, run.id)}/logs`);
    expect(logs.body.data.map((l: { message: string }) => l.message).join('\n')).toMatch(/not found/);
  });

  it('times out: failed with "timed out", its process killed, and the exit status of the kill (137)', async () => {
    const { jobId, run } = await runToEnd({ command: 'sleep 30', timeout_seconds: 1 });
    expect(run).toMatchObject({ status: 'failed', error: 'timed out' });
    expect(await gone(runPid(run), 2_000)).toBe(true);
    expect((await waitForRun(api, runPath(jobId, run.id), (r) => r.exit_code !== null, 'an exit code')).exit_code).toBe(
      137,
    );
  });

  it("retries a failing attempt as the same run, up to the job's retries", async () => {
    const { run } = await runToEnd({ command: 'exit 4', retries: 2 });
    expect(run).toMatchObject({
      status: 'failed',
      attempt: 3,
      exit_code: 4,
      error: 'exited with code 4 (attempt 3 of 3)',
    });
  });

  it('fails at once on an exit code a retry rule fails, and retries one a rule retries', async () => {
    const rules = [
      { exit_codes: [2], action: 'fail' },
      { exit_codes: [137], action: 'retry' },
    ];
    const { run: stopped } = await runToEnd({ command: 'exit 2', retries: 3, retry_rules: rules });
    expect(stopped).toMatchObject({ status: 'failed', attempt: 1, exit_code: 2 });
    expect(stopped.error).toContain('a retry rule fails exit code 2 without retrying');
    const { run: retried } = await runToEnd({ command: 'kill -9 $$', retries: 2, retry_rules: rules });
    expect(retried).toMatchObject({ status: 'failed', attempt: 3, exit_code: 137 });
  });

  it('succeeds on a later attempt, with the attempt count', async () => {
    const marker = join(scratch, 'second-attempt');
    const { run } = await runToEnd({
      command: `if [ -f ${marker} ]; then echo second; else touch ${marker}; exit 1; fi`,
      retries: 3,
    });
    expect(run).toMatchObject({ status: 'succeeded', attempt: 2, exit_code: 0, error: null });
  });

  it('runs with the overrides given, records them, and shows override env names without values', async () => {
    const { jobId, run } = await runToEnd(
      { command: 'echo job', env: { FROM_JOB: 'job', SHARED: 'job' } },
      { command: ['sh', '-c', 'echo "$FROM_JOB $SHARED $EXTRA"'], env: { SHARED: 'run', EXTRA: 'secret-value' } },
    );
    expect(run).toMatchObject({ status: 'succeeded', command: ['sh', '-c', 'echo "$FROM_JOB $SHARED $EXTRA"'] });
    expect(run.overrides).toEqual({
      command: ['sh', '-c', 'echo "$FROM_JOB $SHARED $EXTRA"'],
      env: { SHARED: '***', EXTRA: '***' },
    });
    const logs = await api.get(`${runPath(jobId, run.id)}/logs`);
    expect(logs.body.data.map((l: { message: string }) => l.message)).toEqual(['job run secret-value']);
    // A later change to the job never rewrites what the run ran.
    await api.patch(`${P}/jobs/${jobId}`, { image: 'busybox:1.36', command: 'echo changed' });
    expect((await api.get(runPath(jobId, run.id))).body.data).toMatchObject({ image: run.image, command: run.command });
  });

  it('reruns with the same overrides', async () => {
    const { jobId, run } = await runToEnd({ command: 'echo job' }, { command: 'echo "override $X"', env: { X: 'x' } });
    const rerun = await api.post(`${runPath(jobId, run.id)}/rerun`);
    expect(rerun.status).toBe(202);
    expect(rerun.body.data).toMatchObject({
      trigger: 'rerun',
      status: 'pending',
      command: ['/bin/sh', '-c', 'echo "override $X"'],
    });
    const done = (await api.get(`${runPath(jobId, rerun.body.data.id)}?wait=20`)).body.data;
    expect(done.status).toBe('succeeded');
    const logs = await api.get(`${runPath(jobId, done.id)}/logs`);
    expect(logs.body.data[0]?.message).toBe('override x');
  });
});

describe('cancel', () => {
  it('force: 200 with the run cancelled, and within 2 s no process of the run remains', async () => {
    const jobId = await createJob({ command: 'sleep 60 & sleep 60 & wait' });
    const run = (await trigger(jobId)).body.data;
    const running = await waitForStatus(api, runPath(jobId, run.id), ['running']);
    const pid = runPid(running);
    await eventually(() => processTree(pid).length >= 4, 'the wrapper, the shell and both sleeps started');
    const cancelled = await api.post(`${runPath(jobId, run.id)}/cancel`, { mode: 'force' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      message: 'Run cancelled',
      data: { status: 'cancelled', error: 'cancelled (force)' },
    });
    expect(cancelled.body.data.finished_at).toBeTruthy();
    expect(await gone(pid, 2_000)).toBe(true);
    expect(await t.service.host.orchestrator.isRunning(run.id)).toBe(false);
    // Once its process has ended, the run records how: killed (137). Nothing else about it changes.
    const ended = await waitForRun(api, runPath(jobId, run.id), (r) => r.exit_code !== null, 'an exit code');
    expect(ended).toEqual({ ...cancelled.body.data, exit_code: 137, usage: ended.usage });
  });

  it('graceful: SIGTERM lets a process that traps it finish cleanly', async () => {
    const jobId = await createJob({ command: "trap 'echo got-term; exit 0' TERM; echo ready; sleep 60 & wait" });
    const run = (await trigger(jobId)).body.data;
    const pid = runPid(await waitForStatus(api, runPath(jobId, run.id), ['running']));
    await logged(jobId, run.id, 'ready'); // its trap is set
    const cancelled = await api.post(`${runPath(jobId, run.id)}/cancel`, { mode: 'graceful', timeout_seconds: 10 });
    expect(cancelled.body.data.status).toBe('cancelled');
    expect(await gone(pid, 3_000)).toBe(true);
    // It exited by itself (0) on SIGTERM, within its grace, and said so.
    expect(await waitForRun(api, runPath(jobId, run.id), (r) => r.exit_code !== null, 'an exit code')).toMatchObject({
      exit_code: 0,
      error: 'cancelled (graceful)',
    });
    const logs = await api.get(`${runPath(jobId, run.id)}/logs`);
    expect(logs.body.data.map((l: { message: string }) => l.message)).toContain('got-term');
  });

  it('graceful: a process that ends on SIGTERM records 143', async () => {
    const jobId = await createJob({ command: ['sleep', '60'] });
    const run = (await trigger(jobId)).body.data;
    const pid = runPid(await waitForStatus(api, runPath(jobId, run.id), ['running']));
    await eventually(() => processTree(pid).some((p) => commandOf(p) === 'sleep'), 'sleep itself running');
    await api.post(`${runPath(jobId, run.id)}/cancel`, { mode: 'graceful', timeout_seconds: 30 });
    expect((await waitForRun(api, runPath(jobId, run.id), (r) => r.exit_code !== null, 'an exit code')).exit_code).toBe(
      143,
    );
  });

  it('holds a read with wait after a cancel until the exit status of the stopped process is in', async () => {
    // It takes a second to end after SIGTERM: the run is cancelled at once, its exit status comes after.
    const jobId = await createJob({ command: "trap 'sleep 1; exit 143' TERM; echo ready; sleep 60 & wait" });
    const run = (await trigger(jobId)).body.data;
    await waitForStatus(api, runPath(jobId, run.id), ['running']);
    await logged(jobId, run.id, 'ready');
    const cancelled = await api.post(`${runPath(jobId, run.id)}/cancel`, { mode: 'graceful', timeout_seconds: 10 });
    expect(cancelled.body.data).toMatchObject({ status: 'cancelled', exit_code: null });
    const held = await api.get(`${runPath(jobId, run.id)}?wait=20`);
    expect(held.body.data).toMatchObject({ status: 'cancelled', exit_code: 143 });
    const statuses = await api.post(`${P}/runs/statuses`, { run_ids: [run.id], wait: 20 });
    expect(statuses.body.data[run.id]).toMatchObject({ status: 'cancelled', exit_code: 143 });
  });

  it('graceful: a process that ignores SIGTERM is killed when the grace ends', async () => {
    const jobId = await createJob({ command: "trap '' TERM; echo ready; sleep 60" });
    const run = (await trigger(jobId)).body.data;
    const pid = runPid(await waitForStatus(api, runPath(jobId, run.id), ['running']));
    await logged(jobId, run.id, 'ready'); // its trap is set
    await api.post(`${runPath(jobId, run.id)}/cancel`, { timeout_seconds: 1 });
    expect(processTree(pid).length).toBeGreaterThan(0); // SIGTERM changed nothing: it is in its grace
    expect(await gone(pid, 5_000)).toBe(true);
    // Killed when the grace ended, not ended by SIGTERM.
    expect((await waitForRun(api, runPath(jobId, run.id), (r) => r.exit_code !== null, 'an exit code')).exit_code).toBe(
      137,
    );
  });

  it('cancels a pending run', async () => {
    const jobId = await createJob({ command: 'sleep 30' });
    const run = (await trigger(jobId)).body.data;
    const cancelled = await api.post(`${runPath(jobId, run.id)}/cancel`, { mode: 'force' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data.status).toBe('cancelled');
    // Its execution ends, and the run stays as it was cancelled.
    await eventually(async () => !(await t.service.host.orchestrator.isRunning(run.id)), 'the execution ended');
    expect((await api.get(runPath(jobId, run.id))).body.data).toMatchObject({
      status: 'cancelled',
      started_at: cancelled.body.data.started_at,
    });
  });

  it('answers 409 for a finished run', async () => {
    const { jobId, run } = await runToEnd({ command: 'true' });
    const response = await api.post(`${runPath(jobId, run.id)}/cancel`);
    expect(response.status).toBe(409);
    expect(response.body.message).toBe(`run ${run.id} is already succeeded`);
  });
});

describe('concurrency', () => {
  it('forbid: 20 concurrent triggers give exactly one 202 and nineteen 409', async () => {
    const jobId = await createJob({ command: 'sleep 60', concurrency: 'forbid' });
    const responses = await Promise.all(Array.from({ length: 20 }, () => trigger(jobId)));
    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(19);
    expect(responses.find((r) => r.status === 409)!.body.message).toMatch(
      /already has an active run .* concurrency is forbid/,
    );
    const accepted = responses.find((r) => r.status === 202)!.body.data;
    await api.post(`${runPath(jobId, accepted.id)}/cancel`, { mode: 'force' });
    // Once nothing is active, a new run is accepted.
    expect((await trigger(jobId)).status).toBe(202);
  });

  it('replace: the active run is cancelled before the new one starts', async () => {
    const jobId = await createJob({ command: "trap 'exit 0' TERM; sleep 60 & wait", concurrency: 'replace' });
    const first = (await trigger(jobId)).body.data;
    const firstPid = runPid(await waitForStatus(api, runPath(jobId, first.id), ['running']));
    const second = await trigger(jobId);
    expect(second.status).toBe(202);
    expect((await api.get(runPath(jobId, first.id))).body.data).toMatchObject({
      status: 'cancelled',
      error: 'replaced by a newer run',
    });
    await waitForStatus(api, runPath(jobId, second.body.data.id), ['running']);
    expect(await gone(firstPid, 3_000)).toBe(true);
    await api.post(`${runPath(jobId, second.body.data.id)}/cancel`, { mode: 'force' });
  });

  it('allow: runs overlap', async () => {
    const hold = join(scratch, 'hold-overlap');
    writeFileSync(hold, '');
    const jobId = await createJob({ command: `while [ -e ${hold} ]; do sleep 0.05; done` });
    const a = (await trigger(jobId)).body.data;
    const b = (await trigger(jobId)).body.data;
    await waitForStatus(api, runPath(jobId, a.id), ['running']);
    expect((await waitForStatus(api, runPath(jobId, b.id), ['running'])).status).toBe('running');
    const status = await api.get(`${P}/jobs/${jobId}/status`);
    expect(status.body.data.counts).toMatchObject({ running: 2, total: 2 });
    rmSync(hold);
    for (const run of [a, b])
      expect((await api.get(`${runPath(jobId, run.id)}?wait=20`)).body.data.status).toBe('succeeded');
  });
});

describe('Idempotency-Key', () => {
  it('returns the same run for the same key and body, 422 for another body, a new run for another key', async () => {
    const jobId = await createJob({ command: 'true' });
    const body = { env: { A: '1' } };
    const first = await trigger(jobId, body, { 'idempotency-key': 'deploy-42' });
    const again = await trigger(jobId, body, { 'idempotency-key': 'deploy-42' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.data.id).toBe(first.body.data.id);
    const other = await trigger(jobId, { env: { A: '2' } }, { 'idempotency-key': 'deploy-42' });
    expect(other.status).toBe(422);
    expect(other.body.errors).toEqual([
      { field: 'Idempotency-Key', message: 'was already used with a different request body' },
    ]);
    const fresh = await trigger(jobId, body, { 'idempotency-key': 'deploy-43' });
    expect(fresh.body.data.id).not.toBe(first.body.data.id);
    const runs = await api.get(`${P}/jobs/${jobId}/runs`);
    expect(runs.body.data).toHaveLength(2);
  });

  it('scopes a key to its job', async () => {
    const a = await createJob({ command: 'true' });
    const b = await createJob({ command: 'true' });
    const runA = await trigger(a, undefined, { 'idempotency-key': 'same' });
    const runB = await trigger(b, undefined, { 'idempotency-key': 'same' });
    expect(runB.status).toBe(202);
    expect(runB.body.data.id).not.toBe(runA.body.data.id);
  });

  it('rejects a malformed key, naming the header', async () => {
    const jobId = await createJob({ command: 'true' });
    const response = await trigger(jobId, undefined, { 'idempotency-key': 'x'.repeat(300) });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.field).toBe('Idempotency-Key');
  });
});

describe('deleting a job', () => {
  it('cancels its runs in flight (their processes are gone) and removes its runs and logs', async () => {
    const jobId = await createJob({ command: 'echo started; sleep 60' });
    const run = (await trigger(jobId)).body.data;
    const pid = runPid(await waitForStatus(api, runPath(jobId, run.id), ['running']));
    const finished = await runToEnd({ command: 'echo done' });
    expect((await api.delete(`${P}/jobs/${jobId}`)).status).toBe(200);
    expect(await gone(pid, 2_000)).toBe(true);
    expect((await api.get(runPath(jobId, run.id))).status).toBe(404);
    expect((await api.get(`${runPath(jobId, run.id)}/logs`)).status).toBe(404);
    expect((await api.get(`${P}/runs?job_id=${jobId}`)).body.data).toEqual([]);
    // Other jobs' runs are untouched.
    expect((await api.get(runPath(finished.jobId, finished.run.id))).status).toBe(200);
  });
});

describe("a job's health", () => {
  it('tells the success rate, the p50 and p95 of the durations, the last success and the failures in a row, from the runs made', async () => {
    // The run's env says how it ends and how long it takes.
    const jobId = await createJob({ command: 'sleep "$PAUSE"; exit "$CODE"' });
    const ends: Array<[code: number, pause: string]> = [
      [0, '0.1'],
      [0, '0.4'],
      [1, '0.2'],
      [0, '0.8'],
      [1, '0.1'],
      [1, '0.3'],
    ];
    const runs = [];
    for (const [code, pause] of ends) {
      const accepted = await trigger(jobId, { env: { CODE: String(code), PAUSE: pause } });
      runs.push((await api.get(`${runPath(jobId, accepted.body.data.id)}?wait=20`)).body.data);
    }
    // One cancelled: a run of the window, neither a success nor a failure.
    const cancelled = (await trigger(jobId, { env: { CODE: '0', PAUSE: '30' } })).body.data;
    await api.post(`${runPath(jobId, cancelled.id)}/cancel`, { mode: 'force' });

    const { health } = (await api.get(`${P}/jobs/${jobId}/status`)).body.data;
    const durations = runs.map((r) => r.duration_ms as number).sort((a, b) => a - b);
    const nearestRank = (q: number) => durations[Math.ceil(q * durations.length) - 1]!;
    expect(health).toMatchObject({
      window_days: 7,
      runs: 7,
      success_rate: 3 / 6,
      last_success_at: runs[3]!.finished_at,
      last_failure_at: runs[5]!.finished_at,
      consecutive_failures: 2,
    });
    expect(Math.abs(health.duration_ms.p50! - nearestRank(0.5)) / nearestRank(0.5)).toBeLessThan(0.05);
    expect(Math.abs(health.duration_ms.p95! - nearestRank(0.95)) / nearestRank(0.95)).toBeLessThan(0.05);

    // A success ends the streak.
    const next = await trigger(jobId, { env: { CODE: '0', PAUSE: '0' } });
    await api.get(`${runPath(jobId, next.body.data.id)}?wait=20`);
    expect((await api.get(`${P}/jobs/${jobId}/status`)).body.data.health).toMatchObject({
      consecutive_failures: 0,
      success_rate: 4 / 7,
    });
  });
});
