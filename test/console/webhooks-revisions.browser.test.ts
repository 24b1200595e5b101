// The console makes, changes and deletes webhooks, and compares a job's revisions side by side: a webhook made
// through its form (the API's 400 shown beside the field it names), its signing secret shown once and the one its
// deliveries are signed with, its events changed by a PATCH of only what changed, its deletion once confirmed; and
// a job changed twice, each revision beside the one before it and beside the current one, Revert as before.
import type { Locator } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBSCRIBABLE_EVENTS } from '../../functions/core/webhook-events.ts';
import { checkView, openConsole, type ConsoleSession } from '../helpers/console.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';
import { job, projectPath } from '../helpers/service.ts';

const W = 'acme';
const PROJECT = 'hooks';
const P = projectPath(W, PROJECT);
const ALPINE = 'public.ecr.aws/docker/library/alpine';
let s: ConsoleSession;
let receiver: Receiver;
const ids: Record<string, string> = {};

/** What a 400 leaves in the page's record: the answer, and Chromium's line about it. */
const refused = (method: string, path: RegExp) => [
  expect.stringMatching(new RegExp(`^answer 400: ${method} .*${path.source}$`)),
  'console: Failed to load resource: the server responded with a status of 400 (Bad Request)',
];

beforeAll(async () => {
  s = await openConsole('console-hooks');
  receiver = await startReceiver();
  for (const name of ['nightly-report', 'cleanup'])
    ids[name] = (await s.t.api.post(`${P}/jobs`, job({ name }))).body.data.id as string;
  await s.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.t.service.url });
}, 120_000);

afterAll(async () => {
  receiver?.close();
  await s?.stop();
});

describe('webhooks in the console', () => {
  const url = () => `${receiver.base}/hook`;

  it('makes one through its form: a refused URL is shown beside its field, then the secret once, which signs its deliveries', async () => {
    const { page, watched, t } = s;
    await s.open(`/w/${W}/p/${PROJECT}/webhooks`);
    await page.getByText('No webhooks yet').waitFor();
    await page.getByRole('link', { name: 'New webhook' }).click();
    await page.waitForURL(/\/webhooks\/new$/);
    // Its own URL: a reload shows the form again.
    await page.reload();
    await page.getByRole('heading', { name: `New webhook of ${W}/${PROJECT}` }).waitFor();
    // The events the API accepts, and the project's jobs by name.
    const events = page.getByRole('group', { name: 'Events' });
    expect(await events.locator('label').allTextContents()).toEqual([...SUBSCRIBABLE_EVENTS]);
    await expect
      .poll(() => page.getByLabel('Job', { exact: true }).locator('option').allTextContents())
      .toEqual(['Every job of the project', 'cleanup', 'nightly-report']);
    await checkView(s.watched, 'webhook-new');

    const field = page.getByLabel('URL');
    await field.fill('ftp://x');
    await events.getByLabel('run.succeeded').check();
    await events.getByLabel('run.failed').check();
    await page.getByLabel('Job', { exact: true }).selectOption({ label: 'nightly-report' });
    await page.getByLabel('Description (optional)').fill('on-call');
    await page.getByRole('button', { name: 'Create the webhook' }).click();
    // The message beside the field, which is marked invalid, described by it, and focused; the summary above.
    const message = page.locator('#webhook-url-error');
    await message.waitFor();
    expect(await message.textContent()).toBe('✗ URL must be an https URL');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect((await field.getAttribute('aria-describedby'))?.split(' ')).toContain('webhook-url-error');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('webhook-url');
    expect(await page.getByRole('alert').textContent()).toMatch(/^Error 400: .*url: must be an https URL/);
    expect(await page.getByLabel('Description (optional)').getAttribute('aria-invalid')).toBeNull();
    expect(watched.problems.splice(0)).toEqual(refused('POST', /\/webhooks/));
    await checkView(watched, 'webhook-invalid');
    expect((await t.api.get(`${P}/webhooks`)).body.data).toEqual([]);

    await field.fill(url());
    await page.getByRole('button', { name: 'Create the webhook' }).click();
    await page.getByRole('heading', { name: `Webhook ${url()}` }).waitFor();
    const made = (await t.api.get(`${P}/webhooks`)).body.data;
    expect(made).toEqual([
      expect.objectContaining({
        url: url(),
        events: ['run.succeeded', 'run.failed'],
        job_id: ids['nightly-report'],
        description: 'on-call',
        enabled: true,
      }),
    ]);
    ids.hook = made[0]!.id;
    expect(page.url()).toMatch(new RegExp(`/webhooks/${ids.hook}$`));
    const notice = page.locator('.notice.secret');
    expect(await notice.textContent()).toContain('It will not be shown again');
    const secret = (await notice.locator('code').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await notice.getByRole('button', { name: 'Copy the secret' }).click();
    await notice.getByText('✓ Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await checkView(watched, 'webhook-secret');

    // The secret shown is the one its deliveries are signed with.
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await expect.poll(() => receiver.received.length).toBe(1);
    const delivery = receiver.received[0]!;
    expect(
      new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>) as { type: string },
    ).toMatchObject({ type: 'webhook.test' });

    // Shown once: a reload forgets it, and Back goes to the list, not to the form already sent.
    await page.reload();
    await page.getByRole('cell', { name: 'webhook.test' }).waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(await notice.count()).toBe(0);
    await page.goBack();
    await page.getByRole('heading', { name: `Webhooks of ${W}/${PROJECT}` }).waitFor();
    await page.getByRole('link', { name: url() }).waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it('edits it on its own view, prefilled, sending only the fields changed, its errors beside their fields', async () => {
    const { page, watched, t } = s;
    await page.getByRole('link', { name: url() }).click();
    await page.getByRole('link', { name: 'Edit' }).click();
    const form = page.getByRole('form', { name: 'Edit the webhook' });
    await form.waitFor();
    expect(page.url()).toMatch(/\?edit=1$/);
    expect(await form.getByLabel('URL').inputValue()).toBe(url());
    expect(await form.getByLabel('Description (optional)').inputValue()).toBe('on-call');
    expect(await form.getByLabel('Enabled: deliveries are sent').isChecked()).toBe(true);
    const events = form.getByRole('group', { name: 'Events' });
    const checked = async () => {
      const all = await events.locator('label').all();
      const on: string[] = [];
      for (const label of all) if (await label.locator('input').isChecked()) on.push((await label.textContent())!);
      return on;
    };
    expect(await checked()).toEqual(['run.succeeded', 'run.failed']);
    // Its job by name: the API keeps a webhook's job for good.
    await form.getByRole('link', { name: 'nightly-report' }).waitFor();
    // Its own URL: a reload keeps the form open, as the webhook is now.
    await page.reload();
    await form.waitFor();
    await checkView(watched, 'webhook-edit');

    await events.getByLabel('run.succeeded').uncheck();
    await events.getByLabel('run.cancelled').check();
    await form.getByLabel('URL').fill('http://10.1.2.3/hook');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.locator('#webhook-url-error').waitFor();
    expect(await form.locator('#webhook-url-error').textContent()).toBe(
      '✗ URL must be an https URL (plain http only to this machine)',
    );
    expect(await form.getByLabel('URL').getAttribute('aria-invalid')).toBe('true');
    expect(watched.problems.splice(0)).toEqual(refused('PATCH', new RegExp(`/webhooks/${ids.hook}`)));

    await form.getByLabel('URL').fill(url());
    const patch = page.waitForRequest((request) => request.method() === 'PATCH');
    await form.getByRole('button', { name: 'Save' }).click();
    expect((await patch).postDataJSON()).toEqual({ events: ['run.failed', 'run.cancelled'] });
    await page.getByRole('status').filter({ hasText: 'Saved: events' }).waitFor();
    await page.waitForURL(new RegExp(`/webhooks/${ids.hook}$`));
    expect(await form.count()).toBe(0);
    expect((await t.api.get(`${P}/webhooks/${ids.hook}`)).body.data).toMatchObject({
      url: url(),
      events: ['run.failed', 'run.cancelled'],
      description: 'on-call',
      enabled: true,
    });
    await page.locator('p.sub', { hasText: 'run.failed, run.cancelled' }).waitFor();
    await checkView(watched, 'webhook-saved');
  });

  it('deletes it only once confirmed', async () => {
    const { page, watched, t } = s;
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    const yes = dialog.getByRole('button', { name: 'Delete the webhook' });
    const no = dialog.getByRole('button', { name: 'Keep it' });
    expect(await yes.getAttribute('class')).toBe('danger');
    // The destructive button stands apart from the one that keeps it.
    const [a, b] = [(await yes.boundingBox())!, (await no.boundingBox())!];
    expect(b.x - (a.x + a.width)).toBeGreaterThanOrEqual(8);
    await checkView(watched, 'webhook-delete');
    await no.click();
    await dialog.waitFor({ state: 'detached' });
    expect((await t.api.get(`${P}/webhooks/${ids.hook}`)).status).toBe(200);

    await page.getByRole('button', { name: 'Delete…' }).click();
    await yes.click();
    await page.getByRole('heading', { name: `Webhooks of ${W}/${PROJECT}` }).waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: `Deleted the webhook to ${url()}` })
      .waitFor();
    await page.getByText('No webhooks yet').waitFor();
    expect((await t.api.get(`${P}/webhooks/${ids.hook}`)).status).toBe(404);
    await checkView(watched, 'webhook-deleted');
  });
});

/** A comparison as it reads: each field with its lines, each side's line as its mark and text ('' for a gap). */
async function comparison(table: Locator) {
  return table.locator('tbody').evaluateAll((bodies) =>
    bodies.map((body) => ({
      field: body.querySelector('th')?.textContent,
      lines: [...body.querySelectorAll('tr')].map((row) =>
        [...row.querySelectorAll('td')].map((cell) =>
          cell.classList.contains('gap')
            ? (cell.textContent ?? '')
            : `${cell.querySelector('.sign')?.textContent} ${cell.querySelector('code')?.textContent}`,
        ),
      ),
    })),
  );
}

describe("a job's revisions in the console", () => {
  it('compares each with the one before it and with the current one, side by side, and Revert still works', async () => {
    const { page, watched, t } = s;
    const made = (
      await t.api.post(
        `${P}/jobs`,
        job({ name: 'diffed', image: `${ALPINE}:3.20`, command: ['sh', '-c', 'echo hello'] }),
      )
    ).body.data;
    const path = `${P}/jobs/${made.id}` as const;
    const r = made.revision as number;
    expect((await t.api.patch(path, { image: `${ALPINE}:3.19`, command: ['sh', '-c', 'echo bye'] })).status).toBe(200);
    expect((await t.api.patch(path, { env: { STAGE: 'prod' } })).status).toBe(200);
    await s.open(`/w/${W}/p/${PROJECT}/jobs/${made.id}`);
    const item = (revision: number) =>
      page.locator('.revisions > li').filter({ has: page.getByText(`Revision ${revision}`, { exact: true }) });
    await item(r + 2).waitFor();

    await item(r + 2)
      .getByRole('link', { name: `Compare with revision ${r + 1}` })
      .click();
    await page.waitForURL(new RegExp(`\\?revision=${r + 2}&against=previous$`));
    const newest = item(r + 2).locator('.side-by-side table');
    await newest.waitFor();
    expect(await newest.locator('thead th').allTextContents()).toEqual([
      'Field',
      `Before: revision ${r + 1}`,
      `After: revision ${r + 2} (current)`,
    ]);
    expect(await comparison(newest)).toEqual([{ field: 'env.STAGE', lines: [['not set', '+ prod']] }]);

    await item(r + 1)
      .getByRole('link', { name: `Compare with revision ${r}` })
      .click();
    const middle = item(r + 1).locator('.side-by-side table');
    await middle.waitFor();
    // One comparison open at a time.
    expect(await newest.count()).toBe(0);
    // The command line by line: the lines both share unmarked and level, the changed one across from its old self.
    expect(await comparison(middle)).toEqual([
      { field: 'image', lines: [[`- ${ALPINE}:3.20`, `+ ${ALPINE}:3.19`]] },
      {
        field: 'command',
        lines: [
          ['  [', '  ['],
          ['    "sh",', '    "sh",'],
          ['    "-c",', '    "-c",'],
          ['-   "echo hello"', '+   "echo bye"'],
          ['  ]', '  ]'],
        ],
      },
    ]);
    // Two columns: before on the left, after on its right, on the same line.
    const [before, after] = [
      (await middle.locator('td.removed').first().boundingBox())!,
      (await middle.locator('td.added').first().boundingBox())!,
    ];
    expect(after.x).toBeGreaterThanOrEqual(before.x + before.width);
    expect(after.y).toBe(before.y);

    await item(r).getByRole('link', { name: 'Compare with the current revision' }).click();
    await page.waitForURL(new RegExp(`\\?revision=${r}&against=current$`));
    const oldest = item(r).locator('.side-by-side table');
    // Its own URL: a reload opens the same comparison.
    await page.reload();
    await oldest.waitFor();
    expect(await oldest.locator('caption').textContent()).toBe(
      `Side by side, revision ${r} and revision ${r + 2} (current): 3 fields differ`,
    );
    expect((await comparison(oldest)).map((c) => c.field)).toEqual(['image', 'command', 'env.STAGE']);
    await checkView(watched, 'revision-diff');

    await item(r)
      .getByRole('button', { name: `Revert to ${r}…` })
      .click();
    await page.getByRole('alertdialog').waitFor();
    await page.getByRole('button', { name: 'Revert', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Reverted to revision ${r}: now revision ${r + 3}` })
      .waitFor();
    expect((await t.api.get(path)).body.data).toMatchObject({
      image: `${ALPINE}:3.20`,
      command: ['sh', '-c', 'echo hello'],
      env: {},
      revision: r + 3,
    });
    // The comparison open follows: revision r is the current spec again.
    await item(r)
      .getByText(`No field differs between revision ${r} and revision ${r + 3} (current).`)
      .waitFor();
    await checkView(watched, 'revision-reverted');
  });
});
