// The job form's model: a job's spec through the form's text and back is the same spec; an edit's patch holds
// only what it changed (null for what it cleared); an edit carried over a change made meanwhile keeps that change.
import { describe, expect, it } from 'vitest';
import type { Job } from '../../client/jobs-client.ts';
import {
  draftOf,
  emptyDraft,
  parseSpecText,
  patchOf,
  rebase,
  specOfDraft,
  specOfJob,
  specText,
} from '../../console/src/job-draft.ts';

const job: Job = {
  id: 'job_01J0000000000000000000000A',
  workspace_id: 'acme',
  project_id: 'etl',
  name: 'nightly',
  image: 'alpine:3.20',
  command: ['/bin/sh', '-c', 'echo "hi" && date'],
  env: { STAGE: 'prod', EMPTY: '' },
  secrets: { TOKEN: 'vendor#token' },
  registry_credentials: null,
  task_role: null,
  network: 'private',
  schedule: '0 3 * * 1-5',
  timezone: 'Europe/Berlin',
  schedule_jitter_seconds: 0,
  suspended: false,
  tags: { team: 'data' },
  timeout_seconds: 600,
  retries: 2,
  retry_rules: [{ exit_codes: [2, 64], action: 'fail' }],
  concurrency: 'forbid',
  priority: 50,
  queue_timeout_seconds: 86_400,
  cpu: 0.5,
  memory_mb: 1024,
  history: { max_runs: 1000, max_age_days: 90 },
  tasks: 1,
  parallelism: 1,
  alerts: { consecutive_failures: 3 },
  run_after: [{ job: 'extract', on: 'succeeded' }],
  created_at: '2026-12-01T00:00:00.000Z',
  updated_at: '2026-12-01T00:00:00.000Z',
  revision: 4,
};

describe('the job form model', () => {
  it("reads a job's spec into the form and back unchanged: its edit patch is empty", () => {
    const spec = specOfDraft(draftOf(specOfJob(job)));
    expect(patchOf(job, spec)).toEqual({});
    expect(spec).toMatchObject({ command: 'echo "hi" && date', env: { STAGE: 'prod', EMPTY: '' }, cpu: 0.5 });
  });

  it('keeps an exec-form command as its arguments, one a line', () => {
    const draft = draftOf({ ...specOfJob(job), command: ['python', '-m', 'etl', '--day', 'today'] });
    expect(draft.commandMode).toBe('exec');
    expect(draft.command).toBe('python\n-m\netl\n--day\ntoday');
    expect(specOfDraft(draft).command).toEqual(['python', '-m', 'etl', '--day', 'today']);
  });

  it('patches only what changed, null for what was cleared, and an alert rule taken away as null', () => {
    const draft = draftOf(specOfJob(job));
    draft.image = 'alpine:3.21';
    draft.env = [{ key: 'STAGE', value: 'dev' }];
    draft.timeout_seconds = '';
    draft.alerts = { ...draft.alerts, consecutive_failures: '', max_duration_seconds: '900' };
    expect(patchOf(job, specOfDraft(draft))).toEqual({
      image: 'alpine:3.21',
      env: { STAGE: 'dev' },
      timeout_seconds: null,
      alerts: { consecutive_failures: null, max_duration_seconds: 900 },
    });
  });

  it('sends what does not read as a number as it was typed, so the service names the field', () => {
    const draft = emptyDraft();
    draft.retries = 'two';
    draft.retry_rules = [{ exit_codes: '2, x', action: 'retry' }];
    expect(specOfDraft(draft)).toMatchObject({ retries: 'two', retry_rules: [{ exit_codes: [2, 'x'] }] });
  });

  it('leaves a new job’s empty fields out, so they take their defaults', () => {
    const draft = emptyDraft();
    draft.name = 'hello';
    draft.image = 'alpine';
    draft.command = 'echo hi';
    expect(specOfDraft(draft)).toEqual({ name: 'hello', image: 'alpine', command: 'echo hi', timezone: 'UTC' });
  });

  it('carries an edit over a change made meanwhile: its own fields win, the other change stays', () => {
    const mine = { ...specOfJob(job), image: 'alpine:3.21' };
    const current: Job = { ...job, revision: 5, env: { STAGE: 'staging' }, tags: { team: 'ops' } };
    const carried = rebase(job, current, mine);
    expect(carried).toMatchObject({ image: 'alpine:3.21', env: { STAGE: 'staging' }, tags: { team: 'ops' } });
    expect(patchOf(current, carried)).toEqual({ image: 'alpine:3.21' });
  });

  it('shows the same spec as YAML and as JSON, and reads both back', () => {
    const spec = specOfJob(job);
    for (const format of ['yaml', 'json'] as const)
      expect(parseSpecText(specText(spec, format), format)).toEqual(JSON.parse(JSON.stringify(spec)));
    expect(() => parseSpecText('- a list', 'yaml')).toThrow("must be a map of the job's fields");
    expect(() => parseSpecText('{"name": ', 'json')).toThrow();
  });
});
