// Webhook deliveries from a started local service to real HTTP receivers on 127.0.0.1, every request checked by
// the npm standardwebhooks library as a receiver would: success, retries with the same webhook-id, Retry-After,
// 410 disabling the webhook, a test event and a redelivery, and signatures across a secret rotation.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/dynamodb/delivery-store.ts';
import { DynamoTable } from '../../functions/adapters/dynamodb/table-client.ts';
import { projectPath, startTestService, type TestService } from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

let t: TestService;
let receiver: Server;
let base: string;
const received: Received[] = [];
/** What each path answers, in turn (the last answer repeats). */
const answers = new Map<string, Array<{ status: number; headers?: Record<string, string> }>>();
const P = projectPath('acme', 'deliveries');

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers, body, at: Date.now() });
      if (path === '/hangs') return; // never answers
      const queue = answers.get(path) ?? [{ status: 200 }];
      const answer = queue.length > 1 ? queue.shift()! : queue[0]!;
      response.writeHead(answer.status, answer.headers).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  t = await startTestService('deliveries', { webhookRetryScheduleMs: [100, 100, 100], webhookTimeoutMs: 500 });
});
afterAll(async () => {
  await t?.stop();
  receiver?.close();
});

async function hookAndJob(path: string, events: string[], command = 'echo hi') {
  const webhook = (await t.api.post(`${P}/webhooks`, { url: `${base}${path}`, events })).body.data;
  const job = (await t.api.post(`${P}/jobs`, { name: `job${path.replace(/\W/g, '-')}`, image: 'alpine', command })).body
    .data;
  return { webhook, job, at: (p: string) => received.filter((r) => r.path === p) };
}

function verified(request: Received, secret: string) {
  return new Webhook(secret).verify(request.body, request.headers as Record<string, string>) as {
    id: string;
    type: string;
    data: any;
  };
}

describe('webhook deliveries', () => {
  it('delivers each subscribed event of a run, signed, with the event id as webhook-id and the job name', async () => {
    const { webhook, job, at } = await hookAndJob('/ok', ['run.started', 'run.succeeded']);
    const run = (await t.api.post(`${P}/jobs/${job.id}/runs`)).body.data;
    await eventually(() => at('/ok').length === 2, 'both events delivered');
    const events = at('/ok').map((r) => verified(r, webhook.secret));
    expect(events.map((e) => e.type).sort()).toEqual(['run.started', 'run.succeeded']);
    for (const [i, event] of events.entries()) {
      expect(event.id).toBe(at('/ok')[i]!.headers['webhook-id']);
      expect(event.data).toMatchObject({ job_id: job.id, job_name: job.name, run: { id: run.id } });
    }
    const deliveries = (await t.api.get(`${P}/webhooks/${webhook.id}/deliveries?status=succeeded`)).body.data;
    expect(deliveries).toHaveLength(2);
    expect(deliveries[0]).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      last_status_code: 200,
      next_attempt_at: null,
    });
  });

  it('retries a failing receiver with the same webhook-id until it answers 2xx, waiting as long as Retry-After asks', async () => {
    answers.set('/flaky', [{ status: 500 }, { status: 503, headers: { 'retry-after': '1' } }, { status: 200 }]);
    const { webhook, job, at } = await hookAndJob('/flaky', ['run.failed'], 'exit 4');
    await t.api.post(`${P}/jobs/${job.id}/runs`);
    await eventually(() => at('/flaky').length === 3, 'three attempts', 20_000);
    const ids = new Set(at('/flaky').map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const request of at('/flaky')) expect(verified(request, webhook.secret).type).toBe('run.failed');
    // The 503 asked for a second: the third attempt waited that long, not the schedule's 100 ms.
    expect(at('/flaky')[2]!.at - at('/flaky')[1]!.at).toBeGreaterThanOrEqual(950);
    await eventually(
      async () => (await t.api.get(`${P}/webhooks/${webhook.id}/deliveries`)).body.data[0]?.status === 'succeeded',
      'the delivery succeeded',
    );
    expect((await t.api.get(`${P}/webhooks/${webhook.id}/deliveries`)).body.data[0]).toMatchObject({
      attempts: 3,
      last_status_code: 200,
    });
  });

  it('gives up after the last retry, and disables a webhook whose receiver answers 410', async () => {
    answers.set('/down', [{ status: 500 }]);
    const down = await hookAndJob('/down', ['run.succeeded']);
    await t.api.post(`${P}/jobs/${down.job.id}/runs`);
    await eventually(
      async () => (await t.api.get(`${P}/webhooks/${down.webhook.id}/deliveries?status=failed`)).body.data.length === 1,
      'the delivery failed',
      20_000,
    );
    expect(down.at('/down')).toHaveLength(4); // the first attempt and three retries
    answers.set('/gone', [{ status: 410 }]);
    const gone = await hookAndJob('/gone', ['run.succeeded']);
    await t.api.post(`${P}/jobs/${gone.job.id}/runs`);
    await eventually(
      async () => (await t.api.get(`${P}/webhooks/${gone.webhook.id}`)).body.data.enabled === false,
      'the webhook disabled',
    );
    expect((await t.api.get(`${P}/webhooks/${gone.webhook.id}`)).body.data.disabled_reason).toContain('410');
    expect(gone.at('/gone')).toHaveLength(1);
  });

  it('counts a receiver that does not answer within the timeout as a failed attempt, and retries it', async () => {
    const { webhook, job, at } = await hookAndJob('/hangs', ['run.succeeded']);
    await t.api.post(`${P}/jobs/${job.id}/runs`);
    await eventually(
      async () => ((await t.api.get(`${P}/webhooks/${webhook.id}/deliveries`)).body.data[0]?.attempts ?? 0) >= 2,
      'two attempts, each timed out',
      20_000,
    );
    const [delivery] = (await t.api.get(`${P}/webhooks/${webhook.id}/deliveries`)).body.data;
    expect(delivery).toMatchObject({ last_status_code: null, last_error: 'no answer within 0.5 s' });
    expect(at('/hangs').length).toBeGreaterThanOrEqual(2);
    await t.api.delete(`${P}/webhooks/${webhook.id}`);
  });

  it('sends a test event now and a redelivery with the same webhook-id, and signs with both secrets during a rotation', async () => {
    const webhook = (await t.api.post(`${P}/webhooks`, { url: `${base}/test`, events: ['run.failed'] })).body.data;
    const at = () => received.filter((r) => r.path === '/test');
    const sent = await t.api.post(`${P}/webhooks/${webhook.id}/test`);
    expect(sent.status).toBe(202);
    await eventually(() => at().length === 1, 'the test event delivered');
    expect(verified(at()[0]!, webhook.secret).type).toBe('webhook.test');
    const rotated = (await t.api.post(`${P}/webhooks/${webhook.id}/rotate-secret`)).body.data;
    expect((await t.api.post(`${P}/webhooks/${webhook.id}/deliveries/${sent.body.data.id}/redeliver`)).status).toBe(
      202,
    );
    await eventually(() => at().length === 2, 'the redelivery');
    expect(at()[1]!.headers['webhook-id']).toBe(at()[0]!.headers['webhook-id']);
    // Receivers with either secret accept it: the old one signs beside the new for a day.
    expect(verified(at()[1]!, rotated.secret).type).toBe('webhook.test');
    expect(verified(at()[1]!, webhook.secret).type).toBe('webhook.test');
  });

  it('never delivers after its webhook is deleted: its pending delivery fails, saying so', async () => {
    answers.set('/deleted', [{ status: 500 }]);
    const { webhook, job, at } = await hookAndJob('/deleted', ['run.succeeded']);
    const run = (await t.api.post(`${P}/jobs/${job.id}/runs`)).body.data;
    const ref = { workspace_id: 'acme', project_id: 'deliveries', webhook_id: webhook.id, delivery_id: '' };
    // The first attempt answered and recorded: its retry is due 100 ms later, after the delete below.
    await eventually(
      async () => (await t.api.get(`${P}/webhooks/${webhook.id}/deliveries`)).body.data[0]?.attempts === 1,
      'the first attempt recorded',
    );
    ref.delivery_id = (await t.api.get(`${P}/webhooks/${webhook.id}/deliveries`)).body.data[0]!.id;
    await t.api.delete(`${P}/webhooks/${webhook.id}`);
    const store = new DynamoDeliveryStore(
      new DynamoTable({ tableName: t.service.tableName, endpoint: t.service.dynamodbEndpoint }),
    );
    await eventually(async () => (await store.get(ref))?.delivery.status === 'failed', 'the pending delivery settled');
    expect((await store.get(ref))?.delivery).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: 'the webhook was deleted',
    });
    expect(at('/deleted')).toHaveLength(1);
    expect(run.id).toMatch(/^run_/);
  });
});
