// Run output through a started local service: the last `::output::<JSON>` line of stdout becomes the run's output
// (in the run, its batch status and its event), each task keeps its own, and output that is not JSON or is too
// large is named in a line of the run's log while the run still succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectPath, startTestService, waitForStatus, type TestService } from '../helpers/service.ts';

let t: TestService;
const P = projectPath('acme', 'output');

beforeAll(async () => {
  t = await startTestService('output');
});
afterAll(() => t?.stop());

async function runOf(name: string, spec: Record<string, unknown>) {
  const job = (await t.api.post(`${P}/jobs`, { name, image: 'alpine', ...spec })).body.data;
  const runId = (await t.api.post(`${P}/jobs/${job.id}/runs`)).body.data.id as string;
  const path = `${P}/jobs/${job.id}/runs/${runId}` as const;
  return { job, path, run: await waitForStatus(t.api, path, ['succeeded', 'failed']) };
}

describe('::output:: lines', () => {
  it('keeps the last one as the run output, in the run and in its batch status', async () => {
    const { run } = await runOf('sets-output', {
      command: `echo '::output::{"rows": 3}'; echo 'a line'; echo '::output::{"rows": 42, "ok": true}' ; echo '::output::{"ignored": 1}' >&2`,
    });
    expect(run).toMatchObject({ status: 'succeeded', output: { rows: 42, ok: true } });
    const statuses = (await t.api.post(`${P}/runs/statuses`, { run_ids: [run.id] })).body.data;
    expect(statuses[run.id]).toMatchObject({ status: 'succeeded', output: { rows: 42, ok: true } });
    const none = await runOf('no-output', { command: 'echo plain' });
    expect(none.run.output).toBeNull();
  });

  it('names output that is not JSON, or too large, in the run log, and the run still succeeds', async () => {
    const bad = await runOf('bad-output', { command: `echo '::output::{nope'` });
    expect(bad.run).toMatchObject({ status: 'succeeded', output: null });
    const lines = (await t.api.get(`${bad.path}/logs`)).body.data as Array<{ stream: string; message: string }>;
    expect(lines).toContainEqual(
      expect.objectContaining({ stream: 'stderr', message: expect.stringMatching(/^jobs: the output is not JSON/) }),
    );
    const large = await runOf('large-output', {
      command: `printf '::output::"%s"\\n' "$(head -c 5000 /dev/zero | tr '\\0' x)"`,
    });
    expect(large.run).toMatchObject({ status: 'succeeded', output: null });
    const largeLines = (await t.api.get(`${large.path}/logs`)).body.data as Array<{ message: string }>;
    expect(largeLines.map((l) => l.message)).toContainEqual(
      expect.stringMatching(/^jobs: the output is 5002 bytes of JSON, more than 4096/),
    );
  });

  it('keeps each task its own output, and a failed run its output too', async () => {
    const { run, path } = await runOf('task-outputs', {
      command: 'echo "::output::{\\"task\\": $JOBS_TASK_INDEX}"',
      tasks: 2,
    });
    expect(run.output).toBeNull();
    const tasks = (await t.api.get(`${path}/tasks`)).body.data as Array<{ index: number; output: unknown }>;
    expect(tasks.map((task) => [task.index, task.output])).toEqual([
      [0, { task: 0 }],
      [1, { task: 1 }],
    ]);
    const failed = await runOf('fails-with-output', { command: `echo '::output::["partial"]'; exit 3` });
    expect(failed.run).toMatchObject({ status: 'failed', exit_code: 3, output: ['partial'] });
  });
});
