// No view of the console is ever left on "Loading": with the API unreachable each view says what failed, and a
// console whose script cannot load says so on its own page after a while.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPage } from '../helpers/browser.ts';
import { openConsole, type ConsoleSession } from '../helpers/console.ts';
import { job, projectPath } from '../helpers/service.ts';

const W = 'acme';
const PROJECT = 'cut-off';
const P = projectPath(W, PROJECT);
let c: ConsoleSession;
const ids: Record<string, string> = {};

beforeAll(async () => {
  c = await openConsole('console-cut-off');
  ids.job = (await c.t.api.post(`${P}/jobs`, job({ name: 'quick', command: 'true' }))).body.data.id;
  ids.run = (await c.t.api.post(`${P}/jobs/${ids.job}/runs`)).body.data.id;
  ids.webhook = (
    await c.t.api.post(`${P}/webhooks`, { url: 'https://example.com/hook', events: ['run.failed'] })
  ).body.data.id;
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

describe('a console that cannot reach its API', () => {
  it('says on every view what failed, and no view stays on "Loading"', async () => {
    const views = [
      `/w/${W}/p/${PROJECT}/jobs`,
      `/w/${W}/p/${PROJECT}/jobs/new`,
      `/w/${W}/p/${PROJECT}/jobs/${ids.job}`,
      `/w/${W}/p/${PROJECT}/jobs/${ids.job}/edit`,
      `/w/${W}/p/${PROJECT}/jobs/${ids.job}/runs/${ids.run}`,
      `/w/${W}/p/${PROJECT}/runs`,
      `/w/${W}/runs`,
      `/w/${W}/p/${PROJECT}/webhooks`,
      `/w/${W}/p/${PROJECT}/webhooks/${ids.webhook}`,
      `/w/${W}/p/${PROJECT}/secrets`,
      `/w/${W}/audit`,
    ];
    const page = await newPage(c.browser);
    await page.addInitScript((key) => {
      if (location.protocol.startsWith('http')) sessionStorage.setItem('jobs.console.key', key);
    }, c.t.adminKey);
    // The console itself loads; every call of the API is refused as a down server's would be.
    await page.route('**/v1/**', (route) => route.abort('connectionrefused'));
    for (const view of views) {
      await page.goto('about:blank');
      await page.goto(`${c.t.service.url}/console/#${view}`);
      const alert = page.getByRole('alert').filter({ hasText: 'cannot reach' }).first();
      await alert.waitFor({ timeout: 10_000 }).catch(() => {
        throw new Error(`${view} shows no error: ${page.url()}`);
      });
      expect(await page.locator('main').textContent(), view).not.toMatch(/Loading/);
    }
    await page.close();
  });

  it('says so when its script does not load, instead of "Loading the console…" for ever', async () => {
    const page = await newPage(c.browser);
    await page.route('**/console/assets/*.js', (route) => route.fulfill({ status: 404, body: 'gone' }));
    await page.goto(`${c.t.service.url}/console/`);
    const stalled = page.locator('.stalled');
    expect(await stalled.isVisible()).toBe(false);
    await stalled.waitFor({ state: 'visible', timeout: 20_000 });
    expect(await stalled.textContent()).toContain('The console has not started');
    await page.close();
  });
});
