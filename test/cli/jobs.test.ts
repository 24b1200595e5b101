// The `jobs` command as a user runs it: the real binary (bin/jobs) against a started local service.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../client/jobs-client.ts';
import { summary } from '../../cli/commands/runs.ts';
import { PROJECT_DIR } from '../../local-server/service.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';

const JOBS = join(PROJECT_DIR, 'bin', 'jobs');
const home = mkdtempSync(join(tmpdir(), 'jobs-cli-home-'));
let t: TestService;
const workspace = 'acme';
const project = 'cli';
const P = `/v1/workspaces/${workspace}/projects/${project}`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ReturnType<typeof spawn>;
  stdout: () => string;
  stderr: () => string;
  done: Promise<Result>;
}

/** Starts `jobs ARGS…` with the settings a user would export, and collects what it prints. */
function start(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Running {
  const child = spawn(JOBS, args, {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      JOBS_URL: t.service.url,
      JOBS_KEY: t.adminKey,
      JOBS_WORKSPACE: workspace,
      JOBS_PROJECT: project,
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin!.end(options.input ?? '');
  const done = new Promise<Result>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

const jobs = (args: string[], options?: { env?: Record<string, string>; input?: string }) => start(args, options).done;

beforeAll(async () => {
  t = await startTestService('cli');
});
afterAll(async () => {
  await t?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('jobsctl apply', () => {
  it('creates a job from YAML, then finds it unchanged, then updates what the file changed', async () => {
    const file = join(home, 'job.yaml');
    writeFileSync(
      file,
      'name: nightly\nimage: alpine:3.20\ncommand: echo hello\nenv:\n  STAGE: prod\ntags:\n  team: data\n',
    );
    expect(await jobs(['apply', '-f', file])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^job\/nightly created$/m),
    });
    expect(await jobs(['apply', '-f', file])).toMatchObject({
      code: 0,
      stdout: 'Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged.\n',
    });
    writeFileSync(
      file,
      'name: nightly\nimage: alpine:3.20\ncommand: echo hello\nenv:\n  STAGE: staging\ntags:\n  team: data\n',
    );
    expect(await jobs(['apply', '-f', file])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^job\/nightly updated$/m),
    });
    const listed = (await t.api.get(`${P}/jobs`)).body.data.find((job: { name: string }) => job.name === 'nightly');
    expect(listed).toMatchObject({
      env: { STAGE: 'staging' },
      command: ['/bin/sh', '-c', 'echo hello'],
      tags: { team: 'data', 'managed-by': 'jobsctl' },
    });
  });

  it('takes a JSON list on stdin', async () => {
    const input = JSON.stringify([
      { name: 'from-stdin-a', image: 'alpine', command: ['true'] },
      { name: 'from-stdin-b', image: 'alpine', command: ['true'] },
    ]);
    const result = await jobs(['apply', '-f', '-'], { input });
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toMatch(/^job\/from-stdin-a created\njob\/from-stdin-b created\n$/m);
  });

  it("prints the API's message and field for a job it refuses, and exits 1", async () => {
    const result = await jobs(['apply', '-f', '-'], {
      input: 'name: bad-size\nimage: alpine\ncommand: "true"\ncpu: 0.25\nmemory_mb: 8192\n',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: memory_mb: /m);
  });
});

describe('jobsctl plan, apply, export', () => {
  const dir = join(home, 'gitops');
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  const env = { JOBS_PROJECT: 'gitops' };
  const G = `/v1/workspaces/${workspace}/projects/gitops`;

  it('plans a create (exit 2), applies it, and plans nothing more (exit 0)', async () => {
    mkdirSync(join(dir, 'nested'), { recursive: true });
    write('a.yaml', 'name: alpha\nimage: alpine\ncommand: echo a\nschedule: "0 3 * * *"\ntimezone: Europe/Berlin\n');
    write(
      'nested/b.json',
      JSON.stringify({ name: 'beta', image: 'alpine', command: ['true'], env: { STAGE: 'prod' } }),
    );
    write('notes.txt', 'not a job file: ignored in a folder');
    const planned = await jobs(['plan', '-f', dir], { env });
    expect(planned.code, planned.stderr).toBe(2);
    expect(planned.stdout).toContain(`+ job ${workspace}/gitops/alpha`);
    expect(planned.stdout).toContain('    + schedule: 0 3 * * *');
    expect(planned.stdout).toContain('    + tags.managed-by: jobsctl');
    expect(planned.stdout).toContain('Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged.');
    // Not a terminal: no colour.
    expect(planned.stdout).not.toContain('\u001b[');
    expect((await jobs(['apply', '-f', dir], { env })).code).toBe(0);
    expect(await jobs(['plan', '-f', dir], { env })).toMatchObject({
      code: 0,
      stdout: 'Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged.\n',
    });
  });

  it('shows a change of one field as that field only, and applies it as a new revision', async () => {
    write('a.yaml', 'name: alpha\nimage: alpine\ncommand: echo a\nschedule: "0 4 * * *"\ntimezone: Europe/Berlin\n');
    const alpha = (await t.api.get(`${G}/jobs`)).body.data.find((j: { name: string }) => j.name === 'alpha')!;
    const planned = await jobs(['plan', '-f', dir], { env });
    expect(planned.code).toBe(2);
    expect(planned.stdout).toBe(
      [
        `~ job ${workspace}/gitops/alpha (revision ${alpha.revision})`,
        '    ~ schedule: 0 3 * * * → 0 4 * * *',
        'Plan: 0 to create, 1 to update, 0 to delete, 1 unchanged.',
        '',
      ].join('\n'),
    );
    expect((await jobs(['apply', '-f', dir], { env })).code).toBe(0);
    expect((await t.api.get(`${G}/jobs/${alpha.id}`)).body.data).toMatchObject({
      schedule: '0 4 * * *',
      revision: alpha.revision + 1,
    });
  });

  it('stops an apply of a saved plan when the job changed since the plan, with the 412 message', async () => {
    write('a.yaml', 'name: alpha\nimage: alpine\ncommand: echo a\nschedule: "0 5 * * *"\ntimezone: Europe/Berlin\n');
    const saved = join(home, 'plan.json');
    expect((await jobs(['plan', '-f', dir, '--out', saved], { env })).code).toBe(2);
    const alpha = (await t.api.get(`${G}/jobs`)).body.data.find((j: { name: string }) => j.name === 'alpha')!;
    await t.api.patch(`${G}/jobs/${alpha.id}`, { retries: 2 });
    const applied = await jobs(['apply', '--plan', saved], { env });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toMatch(/error: .*412|changed since it was read/);
    expect((await t.api.get(`${G}/jobs/${alpha.id}`)).body.data).toMatchObject({ schedule: '0 4 * * *', retries: 2 });
  });

  it('prunes only the managed job missing from the files, and asks for --yes without a terminal', async () => {
    await t.api.post(`${G}/jobs`, { name: 'by-hand', image: 'alpine', command: 'true' });
    rmSync(join(dir, 'nested'), { recursive: true });
    write(
      'a.yaml',
      'name: alpha\nimage: alpine\ncommand: echo a\nschedule: "0 4 * * *"\ntimezone: Europe/Berlin\nretries: 2\n',
    );
    const planned = await jobs(['plan', '-f', dir, '--prune'], { env });
    expect(planned.stdout).toContain(`- job ${workspace}/gitops/beta (not in the files; managed-by: jobsctl)`);
    expect(planned.stdout).not.toContain('by-hand');
    const refused = await jobs(['apply', '-f', dir, '--prune'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pass --yes/);
    expect((await jobs(['apply', '-f', dir, '--prune', '--yes'], { env })).code).toBe(0);
    const names = (await t.api.get(`${G}/jobs`)).body.data.map((j: { name: string }) => j.name).sort();
    expect(names).toEqual(['alpha', 'by-hand']);
  });

  it('exports the jobs as files a plan finds unchanged', async () => {
    const exported = await jobs(['export'], { env });
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('name: alpha');
    const file = join(home, 'exported.yaml');
    writeFileSync(file, exported.stdout);
    expect(await jobs(['plan', '-f', file], { env: { JOBS_PROJECT: 'elsewhere' } })).toMatchObject({
      code: 0,
      stdout: 'Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged.\n',
    });
  });

  it('rejects an unknown field with its file, line and field, before changing anything', async () => {
    const file = join(home, 'typo.yaml');
    writeFileSync(file, 'name: typo\nimage: alpine\ncommand: "true"\n\nshedule: "0 3 * * *"\n');
    const result = await jobs(['apply', '-f', file], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:5: shedule: is not a field of a job`);
    expect((await t.api.get(`${G}/jobs`)).body.data.map((j: { name: string }) => j.name)).not.toContain('typo');
  });

  it("writes the job file's JSON Schema, the one the OpenAPI document serves", async () => {
    const schema = JSON.parse((await jobs(['schema'])).stdout);
    const served = (await t.api.get('/v1/openapi.json')).body as unknown as {
      components: { schemas: Record<string, any> };
    };
    expect(schema.properties.name).toBeDefined();
    expect(schema.properties.workspace).toBeDefined();
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual(
      Object.keys(served.components.schemas.JobFile.properties).sort(),
    );
  });
});

describe('jobsctl run', () => {
  it('with --wait exits with the exit code of the run', async () => {
    await t.api.post(`${P}/jobs`, { name: 'exits-3', image: 'alpine', command: 'echo bye; exit 3' });
    const result = await jobs(['run', 'exits-3', '--wait']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/run\/run_\w+ failed in .* \(exit 3\)/);
  });

  it('with --follow prints every line exactly once, stderr lines on stderr, and exits 0 when it succeeds', async () => {
    const command =
      'i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done; echo "to stderr" >&2; echo "$GREETING"';
    await t.api.post(`${P}/jobs`, { name: 'talkative', image: 'alpine', command });
    const result = await jobs(['run', 'talkative', '--follow', '--env', 'GREETING=hi there']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n')}\nhi there\n`);
    expect(result.stderr).toContain('to stderr\n');
    expect(result.stderr).toMatch(/succeeded/);
  });

  it('on Ctrl-C stops waiting, says how to cancel, exits 130 and leaves the run going', async () => {
    const hold = join(home, 'hold');
    writeFileSync(hold, '');
    await t.api.post(`${P}/jobs`, {
      name: 'held',
      image: 'alpine',
      command: `echo started; while [ -e ${hold} ]; do sleep 0.05; done`,
    });
    const running = start(['run', 'held', '--follow']);
    await eventually(() => running.stdout().includes('started'), 'the first line followed');
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code).toBe(130);
    const runId = /jobsctl cancel (run_\w+)/.exec(result.stderr)?.[1];
    expect(runId, result.stderr).toBeDefined();
    const runs = (await t.api.get(`${P}/runs`)).body.data;
    expect(runs.find((run: { id: string }) => run.id === runId)).toMatchObject({ status: 'running' });
    // And cancel, as it said.
    expect(await jobs(['cancel', runId!, '--force'])).toMatchObject({ code: 0, stdout: `run/${runId} cancelled\n` });
    rmSync(hold, { force: true });
  });
});

describe('jobsctl runs --watch', () => {
  it('prints the table again as a run changes, until Ctrl-C', async () => {
    const hold = join(home, 'hold-watch');
    writeFileSync(hold, '');
    const job = (
      await t.api.post(`${P}/jobs`, {
        name: 'watched',
        image: 'alpine',
        command: `while [ -e ${hold} ]; do sleep 0.05; done`,
      })
    ).body.data;
    const run = (await t.api.post(`${P}/jobs/${job.id}/runs`)).body.data;
    const watching = start(['runs', 'watched', '--watch']);
    const rowOf = (text: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith(run.id))
        .at(-1) ?? '';
    await eventually(() => / running /.test(rowOf(watching.stdout())), 'the run shown running');
    rmSync(hold, { force: true });
    await eventually(
      () => / succeeded /.test(rowOf(watching.stdout())),
      'the run shown succeeded, without asking again',
    );
    watching.child.kill('SIGINT');
    expect((await watching.done).code).toBe(0);
  });
});

describe('output and errors', () => {
  it('says a run that never started ended before it started, not in an empty duration', () => {
    const run = {
      id: 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H',
      status: 'failed',
      started_at: null,
      duration_ms: null,
      exit_code: null,
      error: 'image "x" could not be pulled: no such host',
    } as Run;
    expect(summary(run)).toMatch(
      /^run\/run_01JD6R0G2M4S8V1X3Z5B7D9F1H .*failed before it started: image "x" could not be pulled: no such host$/,
    );
    expect(
      summary({
        ...run,
        status: 'succeeded',
        started_at: '2026-12-01T00:00:00Z',
        duration_ms: 1500,
        exit_code: 0,
        error: null,
      }),
    ).toMatch(/succeeded in 1\.5s \(exit 0\)$/);
  });

  it("-o json prints exactly the API's data", async () => {
    const result = await jobs(['get', 'nightly', '-o', 'json']);
    expect(result.code).toBe(0);
    const job = JSON.parse(result.stdout);
    expect(job).toEqual((await t.api.get(`${P}/jobs/${job.id}`)).body.data);
    const list = JSON.parse((await jobs(['list', '-o', 'json', '--all'])).stdout);
    expect(list.map((j: { id: string }) => j.id)).toContain(job.id);
    const runs = JSON.parse((await jobs(['runs', '-o', 'json', '--all'])).stdout);
    expect(runs).toEqual((await t.api.get(`${P}/runs?limit=100`)).body.data);
  });

  it('prints tables without colour when stdout is not a terminal', async () => {
    const result = await jobs(['runs']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^RUN +JOB +STATUS +TRIGGER/);
    expect(result.stdout).not.toContain('\u001b[');
  });

  it("a bad key exits 1 with the API's message", async () => {
    const result = await jobs(['list'], { env: { JOBS_KEY: 'jobs_not-a-key' } });
    expect(result.code).toBe(1);
    const answer = await t.api.get(`${P}/jobs`, { key: 'jobs_not-a-key' });
    expect(result.stderr).toBe(`error: ${answer.body.message}\n`);
  });

  it("a typo'd flag exits 2 with the command's help", async () => {
    const result = await jobs(['run', 'nightly', '--wiat']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--wiat'");
    expect(result.stderr).toContain('Usage: jobsctl run [options] <job>');
    expect((await jobs(['run', 'nightly', '--env', 'NOEQUALS'])).code).toBe(2);
  });

  it('--help on a command shows an example and exits 0', async () => {
    const result = await jobs(['logs', '--help']);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('Examples:');
  });
});

describe('jobsctl login and logs', () => {
  it('saves the settings readable only by the user, and later commands use them', async () => {
    const keyFile = join(home, 'admin-key');
    writeFileSync(keyFile, `${t.adminKey}\n`);
    const env = { JOBS_URL: '', JOBS_KEY: '', JOBS_WORKSPACE: '', JOBS_PROJECT: '' };
    const login = await jobs(
      ['login', '--url', t.service.url, '--key-file', keyFile, '--workspace', workspace, '--project', project],
      { env },
    );
    expect(login.code, login.stderr).toBe(0);
    const config = join(home, '.config', 'jobs', 'config.json');
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({
      url: t.service.url,
      key: t.adminKey,
      workspace,
      project,
    });
    const shown = await jobs(['status', 'nightly'], { env });
    expect(shown).toMatchObject({ code: 0, stdout: expect.stringContaining('job/nightly') });
    expect(shown.stdout).toMatch(
      /^health \(7 d\): \d+ runs, (\d+% succeeded|no outcome yet), p50 \S+, p95 \S+, last success /m,
    );
    const nightly = (await t.api.get(`${P}/jobs`)).body.data.find((j) => j.name === 'nightly')!;
    await t.api.patch(`${P}/jobs/${nightly.id}`, { alerts: { consecutive_failures: 3, max_duration_seconds: 600 } });
    expect((await jobs(['status', 'nightly'], { env })).stdout).toMatch(
      /^alerts: consecutive_failures 3, max_duration_seconds 600$/m,
    );
  });

  it("reads a finished run's lines, and a job's", async () => {
    const run = (
      await t.api.post(
        `${P}/jobs/${(await t.api.get(`${P}/jobs`)).body.data.find((j) => j.name === 'nightly')!.id}/runs`,
      )
    ).body.data;
    await t.api.get(`${P}/jobs/${run.job_id}/runs/${run.id}?wait=20`);
    expect(await jobs(['logs', run.id])).toMatchObject({ code: 0, stdout: 'hello\n' });
    expect(await jobs(['logs', 'nightly', '--stream', 'stdout'])).toMatchObject({ code: 0, stdout: 'hello\n' });
    expect(JSON.parse((await jobs(['logs', run.id, '-o', 'json'])).stdout)).toEqual(
      (await t.api.get(`${P}/jobs/${run.job_id}/runs/${run.id}/logs`)).body.data,
    );
  });
});

describe('jobsctl webhooks', () => {
  it('creates one (its secret printed once), lists it as the API does, disables and deletes it', async () => {
    const created = await jobs([
      'webhooks',
      'create',
      'http://127.0.0.1:9/hook',
      '--events',
      'run.failed',
      'schedule.skipped',
      '--job',
      'nightly',
      '-o',
      'json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const webhook = JSON.parse(created.stdout);
    expect(webhook).toMatchObject({
      url: 'http://127.0.0.1:9/hook',
      events: ['run.failed', 'schedule.skipped'],
      secret: expect.stringMatching(/^whsec_/),
    });
    const listed = JSON.parse((await jobs(['webhooks', 'list', '-o', 'json'])).stdout);
    expect(listed).toEqual((await t.api.get(`${P}/webhooks?limit=100`)).body.data);
    const sent = await jobs(['webhooks', 'test', webhook.id]);
    expect(sent).toMatchObject({ code: 0, stdout: expect.stringMatching(/^delivery\/dlv_\w+ pending/) });
    const deliveries = JSON.parse((await jobs(['webhooks', 'deliveries', webhook.id, '-o', 'json'])).stdout);
    // Its attempt may land between the two reads: the same deliveries, whatever their attempt count.
    const ids = (list: Array<{ id: string; event_id: string }>) => list.map((d) => [d.id, d.event_id]);
    expect(ids(deliveries)).toEqual(
      ids((await t.api.get(`${P}/webhooks/${webhook.id}/deliveries?limit=100`)).body.data),
    );
    expect(deliveries[0]).toMatchObject({ event_type: 'webhook.test' });
    expect(await jobs(['webhooks', 'redeliver', webhook.id, deliveries[0].id])).toMatchObject({
      code: 0,
      stdout: `delivery/${deliveries[0].id} pending\n`,
    });
    expect(await jobs(['webhooks', 'disable', webhook.id])).toMatchObject({
      code: 0,
      stdout: `webhook/${webhook.id} disabled\n`,
    });
    expect(await jobs(['webhooks', 'delete', webhook.id])).toMatchObject({
      code: 0,
      stdout: `webhook/${webhook.id} deleted\n`,
    });
    const refused = await jobs(['webhooks', 'create', 'http://10.0.0.9/hook', '--events', 'run.failed']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: url: /);
  });
});

describe('secrets', () => {
  it('sets a value from standard input (never from argv), lists names and versions, and deletes an unused one', async () => {
    const value = 'piped-secret-value-42';
    const set = await jobs(['secrets', 'set', 'cli-token'], { input: `${value}\n` });
    expect(set).toMatchObject({ code: 0, stdout: 'secret/cli-token created (version 1)\n' });
    expect(await jobs(['secrets', 'set', 'cli-token'], { input: 'another' })).toMatchObject({
      code: 0,
      stdout: 'secret/cli-token updated (version 2)\n',
    });
    const listed = await jobs(['secrets', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/cli-token\s+2\s+stored\s+-/);
    expect(listed.stdout).not.toContain(value);
    const json = await jobs(['secrets', 'get', 'cli-token', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'cli-token', version: 2, used_by: [] });
    expect(json.stdout).not.toContain('another');
    expect(await jobs(['secrets', 'set', 'empty'], { input: '' })).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no value given'),
    });
    expect(await jobs(['secrets', 'delete', 'cli-token'])).toMatchObject({
      code: 0,
      stdout: 'secret/cli-token deleted\n',
    });
    expect((await t.api.get(`${P}/secrets/cli-token`)).status).toBe(404);
  });
});

describe('settings', () => {
  it("replaces the project's settings from a file on standard input and shows them, and its workspace's", async () => {
    expect(
      await jobs(['settings', 'set', '-f', '-'], { input: 'limits: {running_tasks: 10}\nweight: 2\n' }),
    ).toMatchObject({ code: 0, stdout: 'project settings set\n' });
    expect(await jobs(['settings', 'get'])).toMatchObject({
      code: 0,
      stdout: 'limits:\n  running_tasks: 10\n  cpu: null\nweight: 2\n',
    });
    const role = 'arn:aws:iam::123456789012:role/jobs-tasks/etl';
    const set = await jobs(['settings', 'set', '--workspace-level', '-f', '-', '-o', 'json'], {
      input: JSON.stringify({ task_roles: [role] }),
    });
    expect(JSON.parse(set.stdout)).toMatchObject({ task_roles: [role], linked_secret_arns: [] });
    const refused = await jobs(['settings', 'set', '-f', '-'], { input: 'weight: 0\n' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/weight: must be an integer from 1 to 100/);
  });
});

describe('queued runs', () => {
  it('shows where a waiting run stands and why, and runs one at a priority of its own', async () => {
    const queue = '/v1/workspaces/acme/projects/cli-queue';
    const env = { JOBS_PROJECT: 'cli-queue', NO_COLOR: '1' };
    await t.api.request('PUT', `${queue}/settings`, { body: { limits: { running_tasks: 1 } } });
    const gate = join(home, 'queue-gate');
    const created = (
      await t.api.post(`${queue}/jobs`, {
        name: 'gated',
        image: 'alpine',
        command: `until [ -e ${gate} ]; do sleep 0.05; done`,
      })
    ).body.data;
    const first = JSON.parse((await jobs(['run', 'gated', '-o', 'json'], { env })).stdout) as Run;
    await eventually(
      async () => (await t.api.get(`${queue}/jobs/${created.id}/runs/${first.id}`)).body.data.status === 'running',
      'the first run running',
    );
    const urgent = JSON.parse((await jobs(['run', 'gated', '--priority', '90', '-o', 'json'], { env })).stdout) as Run;
    expect(urgent.priority).toBe(90);
    await eventually(async () => {
      const listed = await jobs(['runs', 'gated'], { env });
      return listed.stdout.includes(`${urgent.id}`) && listed.stdout.includes('#1 project acme/cli-queue');
    }, 'the waiting run listed with its place');
    const listed = (await jobs(['runs', 'gated'], { env })).stdout.split('\n');
    expect(listed[0]).toMatch(/QUEUE$/);
    expect(listed.find((line) => line.startsWith(urgent.id))).toMatch(
      /pending .* #1 project acme\/cli-queue is at its limit of 1 running task$/,
    );
    expect(listed.find((line) => line.startsWith(first.id))).toMatch(/running .* -$/);
    const refused = await jobs(['run', 'gated', '--priority', '101'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/must be a whole number from 0 to 100/);
    writeFileSync(gate, '');
  });
});

describe('jobsctl history and revert', () => {
  it('lists the revisions with what each changed, shows the fields with -p, and reverts to one', async () => {
    const made = (await t.api.post(`${P}/jobs`, { name: 'history', image: 'alpine:3', command: ['true'] })).body.data;
    const path = `${P}/jobs/${made.id}` as const;
    await t.api.patch(path, { image: 'busybox:1', env: { STAGE: 'prod' } });
    await t.api.patch(path, { env: { STAGE: 'test' }, tags: { team: 'data' } });

    const listed = await jobs(['history', 'history']);
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^REVISION\s+MADE\s+BY\s+CHANGED$/);
    expect(rows.slice(1).map((row) => row.split(/\s{2,}/))).toEqual([
      ['3', expect.any(String), 'bootstrap admin key (key_admin)', 'env, tags'],
      ['2', expect.any(String), 'bootstrap admin key (key_admin)', 'image, env'],
      ['1', expect.any(String), 'bootstrap admin key (key_admin)', '(created)'],
    ]);

    const patch = await jobs(['history', 'history', '-p']);
    expect(patch.stdout).toContain('  ~ env.STAGE: prod → test\n  + tags.team: data\n');
    expect(patch.stdout).toContain('  ~ image: alpine:3 → busybox:1\n  + env.STAGE: prod\n');
    expect(patch.stdout).toMatch(/revision 1 {2}\S+ {2}by bootstrap admin key \(key_admin\)\n {2}\(created\)\n$/);

    expect(await jobs(['revert', 'history', '1'])).toMatchObject({
      code: 0,
      stdout: "job/history reverted to revision 1's spec: now revision 4\n",
    });
    expect((await t.api.get(path)).body.data).toMatchObject({ revision: 4, image: 'alpine:3', env: {}, tags: {} });
    expect(await jobs(['revert', 'history', '1'])).toMatchObject({
      code: 0,
      stdout: "job/history already has revision 1's spec (revision 4)\n",
    });
    const missing = await jobs(['revert', 'history', '9']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('revision 9 of job');
  });
});

describe('jobsctl audit', () => {
  it("lists the workspace's changes by who made them, filters by action, and the service's own with --service", async () => {
    const made = (await t.api.post(`${P}/jobs`, { name: 'audited-cli', image: 'alpine:3', command: ['true'] })).body
      .data;
    await t.api.patch(`${P}/jobs/${made.id}`, { retries: 2 });
    const listed = await jobs(['audit', '--since', '1h', '--action', 'job.update', '--in-project']);
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^WHEN\s+ACTION\s+BY\s+TARGET\s+CHANGED$/);
    expect(rows.slice(1).map((row) => row.split(/\s{2,}/).slice(1))).toContainEqual([
      'job.update',
      'bootstrap admin key (admin)',
      `${project} ${made.id}`,
      'retries, revision',
    ]);
    expect(rows.slice(1).every((row) => row.includes('job.update'))).toBe(true);
    const json = JSON.parse((await jobs(['audit', '--action', 'job.create', '-o', 'json'])).stdout);
    expect(json.map((e: { target: { job_id: string } }) => e.target.job_id)).toContain(made.id);
    const service = await jobs(['audit', '--service']);
    expect(service.code).toBe(0);
    const wrong = await jobs(['audit', '--action', 'job.explode']);
    expect(wrong).toMatchObject({ code: 1 });
    expect(wrong.stderr).toContain('action');
  });
});
