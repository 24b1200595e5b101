// The web console in a real Chromium against a started local service with seeded jobs, runs and a webhook:
// sign in, the jobs list, a job, Run now and its logs followed to the end, charts with points, a long run
// cancelled, the runs lists, a webhook's deliveries, a run's tasks, deep links and the back button, and a 401
// back to sign-in. No view may log an error, fail a request or get an error answer, and axe-core finds no
// serious or critical violation on any. Screenshots of each view go to test-output/console/.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawnPixels, launchBrowser, newPage, watchedPage, type WatchedPage } from '../helpers/browser.ts';
import {
  job,
  points,
  projectPath,
  startTestService,
  waitForRun,
  waitForStatus,
  type TestService,
} from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';
import { checkView } from '../helpers/console.ts';

const W = 'acme';
const PROJECT = 'console';
const P = projectPath(W, PROJECT);
let t: TestService;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
let receiver: Server;
let received = 0;
const ids: Record<string, string> = {};

const view = (name: string) => checkView(watched, name);

beforeAll(async () => {
  t = await startTestService('console');
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as { port: number }).port;
  const create = async (spec: Record<string, unknown>) =>
    (await t.api.post(`${P}/jobs`, job(spec))).body.data.id as string;
  ids.report = await create({
    name: 'report',
    command: 'for i in 1 2 3 4 5; do echo "line $i"; sleep 0.2; done; echo "oops" >&2; echo done-line',
  });
  ids.nightly = await create({
    name: 'nightly',
    command: 'true',
    schedule: '0 3 * * 1-5',
    timezone: 'Europe/Berlin',
    tags: { team: 'data' },
  });
  ids.long = await create({ name: 'long', command: 'while :; do :; done' });
  ids.split = await create({ name: 'split', command: 'echo "task $JOBS_TASK_INDEX"', tasks: 3 });
  const hook = await t.api.post(`${P}/webhooks`, { url: `http://127.0.0.1:${port}/hook`, events: ['run.succeeded'] });
  expect(hook.status).toBe(201);
  ids.webhook = hook.body.data.id;
  browser = await launchBrowser();
  watched = await watchedPage(browser);
  page = watched.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  receiver?.close();
  await t?.stop();
});

describe('the web console', () => {
  it('is served with its types, caching and a strict Content-Security-Policy, and no inline script', async () => {
    const get = (path: string) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
        (resolve, reject) => {
          request(`${t.service.url}${path}`, (res) => {
            let body = '';
            res.on('data', (chunk) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
          })
            .on('error', reject)
            .end();
        },
      );
    const index = await get('/console/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(index.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(index.body).not.toMatch(/\sstyle=|<style/);
    const script = index.body.match(/src="(assets\/[^"]+\.js)"/)![1]!;
    const asset = await get(`/console/${script}`);
    expect(asset).toMatchObject({
      status: 200,
      headers: {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=31536000, immutable',
      },
    });
    // The admin key came from JOBS_ADMIN_KEY here: there is no file to point at.
    expect(JSON.parse((await get('/console/config.json')).body)).toEqual({ api_url: null, admin_key_file: null });
    expect((await get('/console')).status).toBe(301);
    expect((await get('/console/nope.js')).status).toBe(404);
  });

  it('signs in with a pasted key and lists the jobs with schedules in words', async () => {
    await page.goto(`${t.service.url}/console/`);
    await page.getByLabel('API key').waitFor();
    await view('sign-in');
    await page.getByLabel('API key').fill(t.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Workspace').fill(W);
    await page.getByLabel('Project').fill(PROJECT);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('link', { name: 'nightly' }).waitFor();
    const nightly = page.getByRole('row', { name: /nightly/ });
    await expect.poll(() => nightly.textContent()).toContain('At 03:00, Monday through Friday, Europe/Berlin');
    // Its next fire as Berlin's clocks read it, the UTC time on hover.
    const next = nightly.locator('time');
    expect(await next.textContent()).toMatch(/^\d{4}-\d\d-\d\d 03:00 GMT\+[12]$/);
    expect(await next.getAttribute('title')).toMatch(/ 0[12]:00:00 UTC$/);
    expect(await page.getByRole('row').count()).toBe(5); // the header and four jobs
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    expect(page.url()).not.toContain(t.adminKey);
    await view('jobs');

    await page.getByLabel('Name contains').fill('REP');
    await page.getByLabel('Name contains').press('Enter');
    await expect.poll(() => page.getByRole('row').count()).toBe(2);
    expect(await page.getByRole('row').nth(1).textContent()).toContain('report');
    await page.getByLabel('Name contains').fill('');
    await page.getByLabel('Name contains').press('Enter');
    await expect.poll(() => page.getByRole('row').count()).toBe(5);
    await page.getByLabel('Tag (key:value)').fill('team:data');
    await page.getByLabel('Tag (key:value)').press('Enter');
    await expect.poll(() => page.url()).toContain('tag=team%3Adata');
    await expect.poll(() => page.getByRole('row').count()).toBe(2);
    await page.getByLabel('Tag (key:value)').fill('');
    await page.getByLabel('Tag (key:value)').press('Enter');
    await expect.poll(() => page.getByRole('row').count()).toBe(5);
  });

  it('opens a job, runs it now and follows its logs on the run page to the end', async () => {
    await page.getByRole('link', { name: 'report' }).click();
    await page.getByRole('heading', { name: 'Spec' }).waitFor();
    // The command as a shell would be given it, quoted where it must be.
    expect(await page.locator('dl.spec .command code').textContent()).toBe(
      `/bin/sh -c 'for i in 1 2 3 4 5; do echo "line $i"; sleep 0.2; done; echo "oops" >&2; echo done-line'`,
    );
    await view('job');
    await page.getByRole('button', { name: 'Run now…' }).click();
    await page.getByLabel('Env for this run, one NAME=value a line').fill('GREETING=hi');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByRole('heading', { name: /^Run run_/ }).waitFor();
    // The job by its name once the project's names are read (its id until then).
    await expect.poll(() => page.locator('p.sub').first().textContent()).toMatch(/^of report · manual · priority 50/);
    await page.getByText('Following…').or(page.getByText('Complete:')).waitFor();
    await page.getByText('Complete: 7 lines.').waitFor({ timeout: 20_000 });
    // Each stream in its order, stderr's lines marked.
    expect(await page.locator('.line.stdout .message').allTextContents()).toEqual([
      'line 1',
      'line 2',
      'line 3',
      'line 4',
      'line 5',
      'done-line',
    ]);
    expect(await page.locator('.line.stderr .message').allTextContents()).toEqual(['oops']);
    await page.locator('.badge.status-succeeded').first().waitFor();
    await page.getByLabel('Lines containing').fill('line 3');
    expect(await page.locator('.log-lines .message').allTextContents()).toEqual(['line 3']);
    await view('run');
  });

  it("shows the job's CPU and memory as charts with points, and cancels a long run from its page", async () => {
    const long = (await t.api.post(`${P}/jobs/${ids.long}/runs`)).body.data;
    await waitForStatus(t.api, `${P}/jobs/${ids.long}/runs/${long.id}`, ['running']);
    await eventually(
      async () => {
        const metrics = (await t.api.get(`${P}/jobs/${ids.long}/metrics?since=1h`)).body.data;
        return points(metrics.cpu_usage).length >= 2 && points(metrics.memory_usage).length >= 2;
      },
      'two samples of each metric',
      20_000,
    );
    await page.goto(`${t.service.url}/console/#/w/${W}/p/${PROJECT}/jobs/${ids.long}`);
    await page.locator('.chart canvas').nth(1).waitFor();
    const pixels = await drawnPixels(page);
    expect(pixels).toHaveLength(2);
    for (const drawn of pixels) expect(drawn).toBeGreaterThan(100);
    await page.getByRole('button', { name: '24 hours' }).click();
    await expect.poll(() => page.url()).toContain('window=24h');
    await view('job-charts');

    await page.getByRole('link', { name: long.id }).click();
    await page.getByRole('button', { name: 'Cancel (force)' }).click();
    await page.getByRole('status').filter({ hasText: 'Cancelled (force)' }).waitFor();
    await page.locator('h1 .badge.status-cancelled').waitFor();
    expect((await t.api.get(`${P}/jobs/${ids.long}/runs/${long.id}`)).body.data.status).toBe('cancelled');
    await view('run-cancelled');
  });

  it("lists the project's and the workspace's runs with filters, and goes back where it was", async () => {
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await page.getByRole('heading', { name: `Runs of ${W}/${PROJECT}` }).waitFor();
    await page.getByLabel('Status').selectOption('cancelled');
    await expect.poll(() => page.getByRole('row').count()).toBe(2);
    expect(page.url()).toContain('status=cancelled');
    // The run's job by its name, its id on hover.
    const jobCell = page.getByRole('row').nth(1).getByRole('link', { name: 'long' });
    expect(await jobCell.getAttribute('title')).toBe(ids.long);
    // The job filter offers the project's jobs by name.
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Job', { exact: true }).selectOption({ label: 'report' });
    await expect.poll(() => page.url()).toContain(`job_id=${ids.report}`);
    await expect
      .poll(async () => new Set(await page.locator('tbody tr td:nth-child(2)').allTextContents()))
      .toEqual(new Set(['report']));
    await page.getByLabel('Job', { exact: true }).selectOption('');
    await page.getByLabel('Status').selectOption('cancelled');
    await expect.poll(() => page.getByRole('row').count()).toBe(2);
    await view('project-runs');
    await page.goBack();
    await expect.poll(() => page.url()).not.toContain('status=cancelled');
    await page.getByRole('link', { name: 'Workspace runs' }).click();
    await page.getByRole('heading', { name: `Runs of the workspace ${W}` }).waitFor();
    await expect.poll(() => page.getByRole('row').count()).toBeGreaterThanOrEqual(3);
    await view('workspace-runs');
  });

  it("shows a webhook's deliveries, sends a test event and redelivers", async () => {
    await eventually(() => received >= 1, 'the succeeded run delivered', 15_000);
    await page.goto(`${t.service.url}/console/#/w/${W}/p/${PROJECT}/webhooks`);
    await page.getByRole('link', { name: /127\.0\.0\.1/ }).waitFor();
    await view('webhooks');
    await page.getByRole('link', { name: /127\.0\.0\.1/ }).click();
    await page.getByRole('cell', { name: 'run.succeeded' }).waitFor();
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page.getByText(/^Test event sent: delivery dlv_/).waitFor();
    await page.getByRole('cell', { name: 'webhook.test' }).waitFor();
    const before = received;
    await page
      .getByRole('button', { name: /^Redeliver/ })
      .first()
      .click();
    await page.getByText(/sent again$/).waitFor();
    await eventually(() => received > before, 'the redelivery received');
    await view('webhook');
  });

  it("sets a secret from a password field, shows who uses it by name, and a job's secrets, role and network", async () => {
    const value = 'console-typed-secret-value';
    // Every answer the page gets while the secret is set and shown, read whole: none may hold its value.
    const bodies: Array<Promise<string>> = [];
    const keep = (response: Response) => {
      if (response.url().includes('/v1/')) bodies.push(response.text().catch(() => ''));
    };
    page.on('response', keep);
    await page.goto(`${t.service.url}/console/#/w/${W}/p/${PROJECT}/secrets`);
    await page.getByText('No secrets yet. Set one below.').waitFor();
    await page.getByLabel('Name (letters, digits, _ . -)').fill('api-token');
    const field = page.getByLabel('Value (a new version if the secret exists)');
    expect(await field.getAttribute('type')).toBe('password');
    await field.fill(value);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('api-token created: version 1').waitFor();
    expect(await field.inputValue()).toBe('');
    const user = await t.api.post(`${P}/jobs`, job({ name: 'uses-token', secrets: { TOKEN: 'api-token' } }));
    expect(user.status).toBe(201);
    await page.reload();
    await page.getByRole('link', { name: 'uses-token' }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete' }).isDisabled()).toBe(true);
    expect(await page.content()).not.toContain(value);
    page.off('response', keep);
    const answers = await Promise.all(bodies);
    expect(answers.some((body) => body.includes('api-token'))).toBe(true);
    for (const body of answers) expect(body).not.toContain(value);
    await view('secrets');
    await page.getByRole('link', { name: 'uses-token' }).click();
    await page.getByRole('heading', { name: 'Spec' }).waitFor();
    expect(await page.locator('dl.spec').textContent()).toContain('TOKEN ← api-token');
    expect(await page.locator('dl.spec').textContent()).toContain('Networkpublic');
    await view('job-with-secrets');
  });

  it("shows waiting runs with their place and reason, and the project's limits and use", async () => {
    const Q = projectPath(W, 'console-queue');
    await t.api.request('PUT', `${Q}/settings`, { body: { limits: { running_tasks: 1 }, weight: 2 } });
    const gates = mkdtempSync(join(tmpdir(), 'jobs-console-gate-'));
    const gate = join(gates, 'open');
    const gated = (
      await t.api.post(`${Q}/jobs`, job({ name: 'gated', command: `until [ -e ${gate} ]; do sleep 0.05; done` }))
    ).body.data.id as string;
    const first = (await t.api.post(`${Q}/jobs/${gated}/runs`)).body.data.id as string;
    await waitForStatus(t.api, `${Q}/jobs/${gated}/runs/${first}`, ['running']);
    const second = (await t.api.post(`${Q}/jobs/${gated}/runs`)).body.data.id as string;
    await waitForRun(t.api, `${Q}/jobs/${gated}/runs/${second}`, (run) => run.queue !== null, 'the second waiting');
    await page.goto(`${t.service.url}/console/#/w/${W}/p/console-queue/runs`);
    const reason = `#1 · project ${W}/console-queue is at its limit of 1 running task`;
    await page.getByText(reason).waitFor();
    const limits = page.getByRole('definition');
    await expect
      .poll(async () => (await page.locator('dl.limits').textContent()) ?? '')
      .toContain('Running tasks1 of 1');
    expect(await page.locator('dl.limits').textContent()).toContain('Weight2');
    expect(await limits.count()).toBe(4);
    await view('queued-runs');
    await page.getByRole('link', { name: second }).click();
    await page
      .getByText(/^Waiting to start: #1 in the queue of acme · project acme\/console-queue is at its limit/)
      .waitFor();
    await view('queued-run');
    writeFileSync(gate, '');
    await waitForStatus(t.api, `${Q}/jobs/${gated}/runs/${second}`, ['succeeded']);
    await page.getByText('Waiting to start').waitFor({ state: 'detached' });
    rmSync(gates, { recursive: true, force: true });
  });

  it("shows a run's tasks as a grid, and a deep link opens the view it names", async () => {
    const run = (await t.api.post(`${P}/jobs/${ids.split}/runs`)).body.data;
    await waitForRun(
      t.api,
      `${P}/jobs/${ids.split}/runs/${run.id}`,
      (r) => r.status === 'succeeded',
      'the split run done',
      20_000,
    );
    const fresh = await newPage(browser);
    fresh.setDefaultTimeout(10_000);
    await fresh.goto(`${t.service.url}/console/#/w/${W}/p/${PROJECT}/jobs/${ids.split}/runs/${run.id}`);
    await fresh.getByLabel('API key').waitFor(); // a new tab has no key: sign in first, then the linked view
    await fresh.getByLabel('API key').fill(t.adminKey);
    await fresh.getByRole('button', { name: 'Sign in' }).click();
    await fresh.getByRole('heading', { name: /^Run run_/ }).waitFor();
    await fresh.close();
    await page.goto(`${t.service.url}/console/#/w/${W}/p/${PROJECT}/jobs/${ids.split}/runs/${run.id}`);
    await expect.poll(() => page.locator('.tasks li').count()).toBe(3);
    expect(await page.locator('.tasks li').allTextContents()).toEqual([
      '#0 ✓ succeededattempt 1, exit 0',
      '#1 ✓ succeededattempt 1, exit 0',
      '#2 ✓ succeededattempt 1, exit 0',
    ]);
    await page.getByText('Complete: 3 lines.').waitFor();
    await view('run-tasks');
  });

  it("shows a job's health and its revisions with what each changed, and reverts one once confirmed, never over a change made meanwhile", async () => {
    const path = `${P}/jobs/${ids.nightly}` as const;
    const before = (await t.api.get(path)).body.data;
    await t.api.patch(path, { timeout_seconds: 120, tags: { team: 'data', tier: 'gold' } });
    await page.goto(`${t.service.url}/console/#/w/${W}/p/${PROJECT}/jobs/${ids.nightly}`);
    await page.getByRole('heading', { name: 'Health, last 7 days' }).waitFor();
    expect(await page.locator('dl.health').textContent()).toMatch(/Failed in a row0/);
    const newest = page.locator('.revisions > li').first();
    await newest.getByText(`Revision ${before.revision + 1}`).waitFor();
    // In the spec's order: tags before timeout_seconds.
    expect(await newest.locator('ul.diff li').allTextContents()).toEqual([
      'tags.tier: gold',
      `timeout_seconds: ${before.timeout_seconds} → 120`,
    ]);
    expect(await newest.locator('.badge').textContent()).toBe('current');

    // A change made after the page was read: the revert is refused, not made over it.
    await page.getByRole('button', { name: `Revert to ${before.revision}…` }).click();
    await page.getByRole('alertdialog').waitFor();
    await view('job-revert');
    await t.api.patch(path, { retries: 1 });
    await page.getByRole('button', { name: 'Revert', exact: true }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/Error 412: .*changed since it was read/);
    expect(watched.problems.splice(0)).toEqual([
      expect.stringMatching(/^answer 412: POST .*\/revert$/),
      'console: Failed to load resource: the server responded with a status of 412 (Precondition Failed)',
    ]);
    expect((await t.api.get(path)).body.data).toMatchObject({ retries: 1, revision: before.revision + 2 });

    await page.reload();
    await page.getByRole('button', { name: `Revert to ${before.revision}…` }).click();
    await page.getByRole('button', { name: 'Revert', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Reverted to revision ${before.revision}: now revision ${before.revision + 3}` })
      .waitFor();
    expect((await t.api.get(path)).body.data).toMatchObject({
      timeout_seconds: before.timeout_seconds,
      retries: before.retries,
      tags: before.tags,
      revision: before.revision + 3,
    });
    await page
      .locator('.revisions > li')
      .first()
      .getByText(`Revision ${before.revision + 3}`)
      .waitFor();
    await view('job-revisions');
  });

  it('draws a bar per recent run (height: duration, colour: status) that opens the run, and says why a schedule was paused', async () => {
    const id = (
      await t.api.post(
        `${P}/jobs`,
        job({ name: 'bars', command: 'true', schedule: '0 3 1 1 *', alerts: { pause_after_failures: 1 } }),
      )
    ).body.data.id as string;
    const path = `${P}/jobs/${id}` as const;
    const made: string[] = [];
    for (const command of ['true', 'sleep 1', 'true', 'exit 3']) {
      await t.api.patch(path, { command });
      const run = (await t.api.post(`${path}/runs`)).body.data.id as string;
      await waitForStatus(t.api, `${path}/runs/${run}`, ['succeeded', 'failed']);
      made.push(run);
    }
    await eventually(async () => (await t.api.get(path)).body.data.suspended, 'the job paused by its failure');
    await page.goto(`${t.service.url}/console/#/w/${W}/p/${PROJECT}/jobs/${id}`);
    await page.getByRole('heading', { name: 'Last 30 runs' }).waitFor();
    const bars = page.locator('.run-bars .bar');
    await eventually(async () => (await bars.count()) === 4, 'a bar per run');
    // Oldest first, each coloured by its status; the longest run is the tallest bar, the others far shorter.
    expect(await bars.evaluateAll((links) => links.map((a) => a.getAttribute('class')))).toEqual([
      'bar status-succeeded',
      'bar status-succeeded',
      'bar status-succeeded',
      'bar status-failed',
    ]);
    const heights = await bars.evaluateAll((links) => links.map((a) => a.getBoundingClientRect().height));
    expect(heights[1]).toBe(64);
    for (const i of [0, 2, 3]) expect(heights[i]).toBeLessThan(32);
    const [succeeded, failed] = await bars.evaluateAll((links) =>
      [1, 3].map((i) => getComputedStyle(links[i]!).backgroundColor),
    );
    expect(succeeded).not.toBe(failed);
    expect(await page.getByRole('status').filter({ hasText: 'The schedule was paused' }).textContent()).toContain(
      'paused after 1 run in a row failed (pause_after_failures: 1)',
    );
    expect(await page.locator('dl.spec').textContent()).toContain('pause after failures: 1');
    await view('job-health');
    await bars.nth(3).click();
    await page.waitForURL(new RegExp(`/runs/${made[3]}$`));
    await page.getByText(made[3]!).first().waitFor();
  });

  it('links a run to the run whose end started it, and to the runs its end started (run_after)', async () => {
    const up = (await t.api.post(`${P}/jobs`, job({ name: 'chain-up', command: 'true' }))).body.data.id as string;
    const down = (
      await t.api.post(
        `${P}/jobs`,
        job({ name: 'chain-down', command: 'true', run_after: [{ job: 'chain-up', on: 'succeeded' }] }),
      )
    ).body.data.id as string;
    const upRun = (await t.api.post(`${P}/jobs/${up}/runs`)).body.data.id as string;
    await waitForStatus(t.api, `${P}/jobs/${up}/runs/${upRun}`, ['succeeded']);
    await eventually(async () => (await t.api.get(`${P}/jobs/${down}/runs`)).body.data.length === 1, 'the run after');
    const downRun = (await t.api.get(`${P}/jobs/${down}/runs`)).body.data[0]!.id as string;
    await page.goto(`${t.service.url}/console/#/w/${W}/p/${PROJECT}/jobs/${down}/runs/${downRun}`);
    await page.locator('.chain').getByText('Started after').waitFor();
    const cause = page.locator('.chain a', { hasText: 'the run' });
    expect(await cause.getAttribute('href')).toBe(`#/w/${W}/p/${PROJECT}/jobs/${up}/runs/${upRun}`);
    // Jobs by their names, ids on hover.
    await expect.poll(() => page.locator('.chain').textContent()).toBe('Started after the run of chain-up ended. ');
    expect(await page.locator('.chain a', { hasText: 'chain-up' }).getAttribute('title')).toBe(up);
    await view('run-chain');
    await cause.click();
    await page.locator('.chain').getByText('Its end started').waitFor();
    expect(await page.locator('.chain a', { hasText: 'the run' }).getAttribute('href')).toBe(
      `#/w/${W}/p/${PROJECT}/jobs/${down}/runs/${downRun}`,
    );
  });

  it('shows the audit log with its filters, each change with who made it and what it changed', async () => {
    await page.goto(`${t.service.url}/console/#/w/${W}/audit?project_id=${PROJECT}&action=job.update`);
    await page.getByRole('heading', { name: `Audit log of the workspace ${W}` }).waitFor();
    const rows = page.locator('table.audit tbody tr');
    const expected = (
      await t.api.get(`/v1/workspaces/${W}/audit?project_id=${PROJECT}&action=job.update&since=7d&limit=25`)
    ).body.data;
    await eventually(async () => (await rows.count()) === expected.length, 'a row per change');
    expect(expected.length).toBeGreaterThan(0);
    expect(new Set(await rows.locator('td:nth-child(3)').allTextContents())).toEqual(new Set(['job.update']));
    expect(await rows.first().locator('td:nth-child(2)').textContent()).toBe(
      `${expected[0]!.actor.key_name} (${expected[0]!.actor.role})`,
    );
    const [field, [before, after]] = Object.entries(expected[0]!.changes)[0]! as [string, [unknown, unknown]];
    expect(await rows.first().locator('ul.diff li').first().textContent()).toContain(`${field}: `);
    expect(before).not.toEqual(after);
    await view('audit');
    await page.getByLabel('Action').selectOption('job.create');
    await page.waitForURL(/action=job\.create/);
    await eventually(
      async () => new Set(await rows.locator('td:nth-child(3)').allTextContents()).has('job.create'),
      'the created jobs listed',
    );
    expect(new Set(await rows.locator('td:nth-child(3)').allTextContents())).toEqual(new Set(['job.create']));
  });

  it('suspends and resumes a schedule, and deletes a job only once confirmed', async () => {
    await page.goto(`${t.service.url}/console/#/w/${W}/p/${PROJECT}/jobs/${ids.nightly}`);
    await page.getByRole('button', { name: 'Suspend' }).click();
    await page.getByRole('status').filter({ hasText: 'Suspended: the schedule does not fire' }).waitFor();
    await page.locator('h1 .badge.suspended').waitFor();
    expect((await t.api.get(`${P}/jobs/${ids.nightly}`)).body.data.suspended).toBe(true);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('status').filter({ hasText: 'Resumed' }).waitFor();
    expect((await t.api.get(`${P}/jobs/${ids.nightly}`)).body.data.suspended).toBe(false);

    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('alertdialog').waitFor();
    await view('job-delete');
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect((await t.api.get(`${P}/jobs/${ids.nightly}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: 'Delete the job' }).click();
    await page.getByRole('heading', { name: `Jobs of ${W}/${PROJECT}` }).waitFor();
    await expect.poll(() => page.getByRole('link', { name: 'nightly' }).count()).toBe(0);
    expect((await t.api.get(`${P}/jobs/${ids.nightly}`)).status).toBe(404);
  });

  it("loads in a browser whose language tag Intl refuses (Chromium's en-US@posix), formatting in en-US", async () => {
    const posix = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      expect(await posix.evaluate(() => navigator.language)).toBe('en-US@posix');
      const errors: string[] = [];
      posix.on('pageerror', (error) => errors.push(error.message));
      await posix.goto(`${t.service.url}/console/`);
      await posix.getByLabel('API key').waitFor({ timeout: 10_000 });
      expect(await posix.evaluate(() => navigator.language)).toBe('en-US');
      expect(errors).toEqual([]);
    } finally {
      await posix.close();
    }
  });

  it('cannot be steered to another route by ids in its URL', async () => {
    const requested: string[] = [];
    const record = (request: { url(): string }) => requested.push(new URL(request.url()).pathname);
    page.on('request', record);
    try {
      for (const hash of [
        `#/w/${W}/p/${PROJECT}/jobs/..%2F..%2F..%2F..%2F..%2F..%2Fv1%2Fkeys%3F`,
        `#/w/${W}/p/${PROJECT}/jobs/%2e%2e`,
        `#/w/${W}/p/${PROJECT}/jobs/${ids.report}/runs/..%2F..%2F..%2Fwebhooks`,
        `#/w/..%2F..%2Fkeys%3F/p/${PROJECT}/jobs`,
      ]) {
        await page.goto(`${t.service.url}/console/${hash}`);
        const alert = page.getByRole('alert');
        await alert.waitFor();
        expect(await alert.textContent()).toMatch(/is not a (job|run|workspace) id/);
      }
      await view('steered-url');
    } finally {
      page.off('request', record);
    }
    const api = requested.filter((path) => path.startsWith('/v1/'));
    expect(
      api.filter((path) => path.startsWith('/v1/keys') || !path.startsWith(`/v1/workspaces/${W}/projects/${PROJECT}/`)),
    ).toEqual([]);
    expect(watched.problems).toEqual([]);
  });

  it('shows an API error with its message and field, and sends a refused key back to sign-in', async () => {
    await page.goto(`${t.service.url}/console/#/w/${W}/p/${PROJECT}/jobs/${ids.report}`);
    await page.getByRole('button', { name: 'Run now…' }).click();
    await page.getByLabel('Env for this run, one NAME=value a line').fill('1BAD=x');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Error 400: .*env\.1BAD: '1BAD' is not a valid variable name/);
    // The one error answer, which Chromium also logs as a failed resource.
    expect(watched.problems.splice(0)).toEqual([
      expect.stringMatching(/^answer 400: POST .*\/runs$/),
      'console: Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);

    await page.evaluate(() => sessionStorage.setItem('jobs.console.key', 'not-a-key'));
    await page.reload();
    await page.getByText('The key was refused (401): sign in again.').waitFor();
    const refused = watched.problems.splice(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.filter((p) => !p.startsWith('answer 401:') && !p.includes('status of 401 (Unauthorized)'))).toEqual(
      [],
    );
    await view('signed-out');
  });
});
