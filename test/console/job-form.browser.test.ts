// New job and Edit job in a real Chromium: a bad cron gets the API's own message on the schedule field, the schedule
// reads in words with its next fires as it is typed, the fixed form creates the job (listed by name), an edit made
// in the YAML tab is saved against the revision it began from, and a change made meanwhile is shown, not
// overwritten, until the user carries their edit over it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkView, openConsole, type ConsoleSession } from '../helpers/console.ts';
import { job, projectPath } from '../helpers/service.ts';

const W = 'acme';
const PROJECT = 'forms';
const P = projectPath(W, PROJECT);
let c: ConsoleSession;

beforeAll(async () => {
  c = await openConsole('console-forms');
  expect((await c.t.api.request('PUT', `${P}/secrets/db-password`, { body: { value: 'not-shown' } })).status).toBe(201);
  expect((await c.t.api.post(`${P}/jobs`, job({ name: 'extract' }))).status).toBe(201);
}, 120_000);

async function jobNamed(name: string) {
  const found = (await c.t.api.get(`${P}/jobs`)).body.data.find((j) => j.name === name);
  if (!found) throw new Error(`no job named ${name}`);
  return found;
}

/** The answer the form was meant to get (and the browser logs) is the page's only problem so far: it is taken. */
function expectOnly(status: number): void {
  const problems = c.watched.problems.splice(0);
  expect(problems.length).toBeGreaterThan(0);
  for (const problem of problems) expect(problem).toMatch(new RegExp(`(answer|status of) ${status}\\b`));
}

afterAll(async () => {
  await c?.stop();
});

describe('the job form', () => {
  it("shows the API's message on the field it names, then creates the job once fixed", async () => {
    const { page } = c;
    const badCron = '61 * * * *';
    const refused = await c.t.api.post(`${P}/jobs`, job({ name: 'probe', schedule: badCron }));
    expect(refused.status).toBe(400);
    const message = refused.body.errors!.find((e) => e.field === 'schedule')!.message;

    await c.open(`/w/${W}/p/${PROJECT}/jobs`);
    await page.getByRole('link', { name: 'New job' }).click();
    await page.getByLabel('Name', { exact: true }).fill('daily-report');
    await page.getByLabel('Image').fill('public.ecr.aws/docker/library/alpine:3.20');
    await page.getByLabel('Command (a shell script, run by /bin/sh -c)').fill('echo "report for $STAGE"');
    await page.getByRole('button', { name: 'Add a variable' }).click();
    await page.getByLabel('Env: name 1').fill('STAGE');
    await page.getByLabel('Env: value 1').fill('prod');
    await page.getByRole('button', { name: 'Add a secret' }).click();
    await page.getByLabel('Secrets as variables: variable 1').fill('DB_PASSWORD');
    await page.getByLabel('Secrets as variables: secret (name, or name#key) 1').fill('db-password');
    await page.getByRole('button', { name: 'Add a tag' }).click();
    await page.getByLabel('Tags: key 1').fill('team');
    await page.getByLabel('Tags: value 1').fill('data');
    await page.getByLabel('Alert after this many failures in a row').fill('3');
    await page.getByRole('button', { name: 'Add a job to run after' }).click();
    const schedule = page.getByLabel('Cron schedule (empty: on demand only)');
    await schedule.fill(badCron);
    await page.locator('.schedule-preview').filter({ hasText: 'Not a schedule yet' }).waitFor();
    await page.getByRole('button', { name: 'Create job' }).click();

    // The API's message, next to the field, which is marked invalid and takes focus.
    const error = page.locator('#job-schedule-error');
    await expect.poll(() => error.textContent()).toContain(message);
    expect(await schedule.getAttribute('aria-invalid')).toBe('true');
    expect(await schedule.getAttribute('aria-describedby')).toBe('job-schedule-error');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('job-schedule');
    expectOnly(400);
    await checkView(c.watched, 'job-new-refused');

    // Fixed: the words and the next fires in Berlin's clocks as it is typed.
    await schedule.fill('0 3 * * 1-5');
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    const preview = page.locator('.schedule-preview');
    await expect.poll(() => preview.textContent()).toContain('At 03:00, Monday through Friday, Europe/Berlin');
    expect(await preview.locator('li time').count()).toBe(5);
    expect(await preview.locator('li time').first().textContent()).toMatch(/ 03:00 GMT\+[12]$/);
    expect(await error.count()).toBe(0);
    await checkView(c.watched, 'job-new');
    await page.getByRole('button', { name: 'Create job' }).click();

    await page.getByRole('status').filter({ hasText: 'Created daily-report.' }).waitFor();
    const made = await jobNamed('daily-report');
    expect(made).toMatchObject({
      command: ['/bin/sh', '-c', 'echo "report for $STAGE"'],
      env: { STAGE: 'prod' },
      secrets: { DB_PASSWORD: 'db-password' },
      tags: { team: 'data' },
      schedule: '0 3 * * 1-5',
      timezone: 'Europe/Berlin',
      alerts: { consecutive_failures: 3 },
      run_after: [{ job: 'extract', on: 'succeeded' }],
      revision: 1,
    });
    await c.open(`/w/${W}/p/${PROJECT}/jobs`);
    await page.getByRole('link', { name: 'daily-report' }).waitFor();
  });

  it('edits through the YAML tab, shows a change made meanwhile instead of overwriting it, and carries the edit over it', async () => {
    const { page } = c;
    const made = await jobNamed('daily-report');
    await c.open(`/w/${W}/p/${PROJECT}/jobs/${made.id}`);
    await page.getByRole('link', { name: 'Edit…' }).click();
    await page.getByRole('heading', { name: 'Edit daily-report' }).waitFor();
    await page.getByRole('tab', { name: 'YAML' }).click();
    const text = page.getByLabel(/The job as YAML/);
    const yaml = await text.inputValue();
    expect(yaml).toContain('name: daily-report');
    expect(yaml).toContain('timezone: Europe/Berlin');
    await text.fill(yaml.replace('alpine:3.20', 'alpine:3.21'));
    await checkView(c.watched, 'job-edit-yaml');

    // Someone else changes the job meanwhile.
    const other = await c.t.api.patch(`${P}/jobs/${made.id}`, { tags: { team: 'ops' } });
    expect(other.body.data.revision).toBe(2);
    await page.getByRole('button', { name: 'Save changes' }).click();
    const conflict = page.locator('.conflict');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('It is now revision 2');
    expect(await conflict.locator('li').allTextContents()).toEqual(['tags.team: data → ops']);
    // Nothing was written over their change.
    expect((await c.t.api.get(`${P}/jobs/${made.id}`)).body.data).toMatchObject({
      image: 'public.ecr.aws/docker/library/alpine:3.20',
      tags: { team: 'ops' },
      revision: 2,
    });
    expectOnly(412);
    await checkView(c.watched, 'job-edit-conflict');

    await page.getByRole('button', { name: 'Keep my edits on top of revision 2' }).click();
    const carried = await text.inputValue();
    expect(carried).toContain('alpine:3.21');
    expect(carried).toContain('team: ops');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved as revision 3.' }).waitFor();
    expect((await c.t.api.get(`${P}/jobs/${made.id}`)).body.data).toMatchObject({
      image: 'public.ecr.aws/docker/library/alpine:3.21',
      tags: { team: 'ops' },
      revision: 3,
    });
    expect(c.watched.problems).toEqual([]);
  });

  it('tells YAML it cannot read, and moves between the tabs with the same content', async () => {
    const { page } = c;
    await c.open(`/w/${W}/p/${PROJECT}/jobs/new`);
    await page.getByLabel('Name', { exact: true }).fill('from-tabs');
    await page.getByRole('tab', { name: 'JSON' }).click();
    const json = page.getByLabel(/The job as JSON/);
    expect(JSON.parse(await json.inputValue())).toMatchObject({ name: 'from-tabs', timezone: 'UTC' });
    await json.fill('{"name": "from-tabs", "image": ');
    await page.getByRole('tab', { name: 'Form' }).click();
    await page.getByRole('alert').filter({ hasText: 'The JSON cannot be read' }).waitFor();
    expect(await page.getByRole('tab', { name: 'JSON' }).getAttribute('aria-selected')).toBe('true');
    await json.fill('{"name": "from-tabs", "image": "alpine", "command": ["echo", "hi"], "retries": 2}');
    await page.getByRole('tab', { name: 'Form' }).click();
    expect(await page.getByLabel('Command (one argument a line)').inputValue()).toBe('echo\nhi');
    expect(await page.getByLabel('Retries', { exact: true }).inputValue()).toBe('2');
    expect(c.watched.problems).toEqual([]);

    // An error of one row of a map is shown under the map, saying which row, on the row's input.
    await page.getByRole('button', { name: 'Add a variable' }).click();
    await page.getByLabel('Env: name 1').fill('1BAD');
    await page.getByRole('button', { name: 'Create job' }).click();
    const envError = page.locator('#job-env-error');
    await expect.poll(() => envError.textContent()).toContain("1BAD: '1BAD' is not a valid variable name");
    expect(await page.getByLabel('Env: name 1').getAttribute('aria-invalid')).toBe('true');
    expectOnly(400);
    // Changing the field takes its message away.
    await page.getByLabel('Env: name 1').fill('GOOD');
    await expect.poll(() => envError.count()).toBe(0);
  });

  it('names a job made after the names were read, and calls one deleted here deleted, without a reload', async () => {
    const { page } = c;
    // The project's names are read by this view...
    await c.open(`/w/${W}/p/${PROJECT}/runs`);
    await page.getByRole('heading', { name: /Runs of/ }).waitFor();
    // ...then a job is made, and run, elsewhere: its run page, reached without a reload, names it.
    const late = (await c.t.api.post(`${P}/jobs`, job({ name: 'made-late', command: 'true' }))).body.data;
    const run = (await c.t.api.post(`${P}/jobs/${late.id}/runs`)).body.data;
    await page.evaluate((hash) => {
      location.hash = hash;
    }, `/w/${W}/p/${PROJECT}/jobs/${late.id}/runs/${run.id}`);
    await expect.poll(() => page.locator('p.sub').first().textContent()).toContain('of made-late');
    // Deleted here: the audit's entries of it say so, with its id.
    await page.getByRole('link', { name: 'made-late' }).click();
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: 'Delete the job' }).click();
    await page.getByRole('heading', { name: /Jobs of/ }).waitFor();
    expect((await c.t.api.get(`${P}/jobs/${late.id}`)).status).toBe(404);
    await page.evaluate((hash) => {
      location.hash = hash;
    }, `/w/${W}/audit?action=job.delete`);
    await expect.poll(() => page.locator('main').textContent()).toContain(`a deleted job (${late.id})`);
    expect(c.watched.problems).toEqual([]);
  });
});
