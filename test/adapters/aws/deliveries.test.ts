// Webhook deliveries as the AWS host makes them: the publisher's relay makes each event's deliveries and sends
// their notices to the deliveries queue; the delivery function attempts a notice that is due, sends one that is
// early on again, and the sweep hands on what is overdue. SQS has no local engine: its client is mocked and each
// request asserted exactly; the table is DynamoDB Local and the receiver a real HTTP server on 127.0.0.1,
// checked by the standardwebhooks library.
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook as Verifier } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryMessagesHandler, type QueueBatch } from '../../../functions/adapters/aws/delivery-messages.ts';
import { eventStreamHandler } from '../../../functions/adapters/aws/event-stream.ts';
import { delaySeconds, SqsDeliveryQueue } from '../../../functions/adapters/aws/sqs-delivery-queue.ts';
import { DynamoDeliveryStore } from '../../../functions/adapters/dynamodb/delivery-store.ts';
import { DynamoJobStore } from '../../../functions/adapters/dynamodb/job-store.ts';
import { eventPut } from '../../../functions/adapters/dynamodb/outbox.ts';
import { DynamoWebhookStore } from '../../../functions/adapters/dynamodb/webhook-store.ts';
import { sendHttp } from '../../../functions/adapters/http-send.ts';
import { OVERDUE_MS, RETRY_SCHEDULE_MS } from '../../../functions/core/deliveries.ts';
import { Deliverer, DeliveryService } from '../../../functions/core/delivery-service.ts';
import { EventRelay } from '../../../functions/core/event-relay.ts';
import { runEvent, type ServiceEvent } from '../../../functions/core/events.ts';
import { buildJob } from '../../../functions/core/jobs.ts';
import type { Run } from '../../../functions/core/run-model.ts';
import { WebhookService } from '../../../functions/core/webhook-service.ts';
import { createLogger } from '../../../functions/logger.ts';
import { createTestTable } from '../../helpers/dynamodb.ts';
import { aRun } from '../../helpers/runs.ts';

const sqs = mockClient(SQSClient);
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries';
const ref = { workspace_id: 'acme', project_id: 'aws-deliveries' };
const jobId = 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XB';

let table: Awaited<ReturnType<typeof createTestTable>>;
let receiver: Server;
let base: string;
const received: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];
const answers = new Map<string, number[]>();
/** The clock every part reads: the test moves it (from the real time, which the receiver's check compares with). */
let now = new Date();
const clock = () => new Date(now);

let webhooks: WebhookService;
let deliveries: DynamoDeliveryStore;
let deliverer: Deliverer;
let publish: ReturnType<typeof eventStreamHandler>;
let deliver: ReturnType<typeof deliveryMessagesHandler>;

const run = (id: string): Run =>
  aRun({ ...ref, job_id: jobId }, id, {
    status: 'failed',
    attempt: 1,
    created_at: now.toISOString(),
    started_at: now.toISOString(),
    finished_at: now.toISOString(),
    duration_ms: 5,
    exit_code: 1,
    error: 'exit 1',
    command: ['false'],
    backend: { runner: 'ecs', task: null, execution: null, task_role: null },
    tasks: { count: 1, pending: 0, running: 0, succeeded: 0, failed: 1, cancelled: 0 },
  });

function streamRecord(event: ServiceEvent, sequence: string) {
  return {
    eventName: 'INSERT',
    dynamodb: { NewImage: eventPut('t', event).Put!.Item as Record<string, unknown>, SequenceNumber: sequence },
  };
}

/** The notices sent to the queue since the last reset, as the request entries. */
function notices() {
  return sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => {
    expect(call.args[0].input.QueueUrl).toBe(QUEUE_URL);
    return call.args[0].input.Entries!;
  });
}

/** The queue's messages handed to the delivery function, as Lambda hands them. */
function batchOf(entries: ReturnType<typeof notices>): QueueBatch {
  return { Records: entries.map((entry, i) => ({ messageId: `m${i}`, body: entry.MessageBody! })) };
}

beforeAll(async () => {
  table = await createTestTable('aws-deliveries');
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers, body });
      const queue = answers.get(path) ?? [200];
      response.writeHead(queue.length > 1 ? queue.shift()! : queue[0]!).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const jobs = new DynamoJobStore(table);
  await jobs.create(buildJob(ref, jobId, { name: 'nightly', image: 'alpine', command: ['false'] }, 't', 't'));
  const store = new DynamoWebhookStore(table);
  deliveries = new DynamoDeliveryStore(table);
  // The receiver is on loopback: the policy here allows it (the AWS platform's refuses it, tested elsewhere).
  const destinations = { allowPrivate: true, resolve: async () => ['127.0.0.1'] };
  webhooks = new WebhookService({ store, jobs, destinations, now: clock });
  const queue = new SqsDeliveryQueue({
    queueUrl: QUEUE_URL,
    client: new SQSClient({ region: 'eu-west-1' }),
    now: clock,
  });
  deliverer = new Deliverer({ webhooks: store, deliveries, send: sendHttp, destinations, queue, now: clock });
  publish = eventStreamHandler(new EventRelay({ jobs, sinks: [deliverer] }));
  deliver = deliveryMessagesHandler(deliverer, createLogger());
});
afterAll(async () => {
  receiver?.close();
  await table?.drop();
});
beforeEach(() => {
  now = new Date();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `sqs-${e.Id}`, MD5OfMessageBody: 'x' })),
    Failed: [],
  }));
});

describe('the deliveries queue', () => {
  it('holds a notice back until its delivery is due, fifteen minutes at most', () => {
    const at = new Date('2026-12-01T10:00:00.000Z');
    expect(delaySeconds('2026-12-01T09:59:00.000Z', at)).toBe(0);
    expect(delaySeconds('2026-12-01T10:00:00.000Z', at)).toBe(0);
    expect(delaySeconds('2026-12-01T10:00:04.200Z', at)).toBe(5);
    expect(delaySeconds('2026-12-01T12:00:00.000Z', at)).toBe(900);
  });

  it('sends ten notices a call, and fails when the queue refuses one', async () => {
    const due = Array.from({ length: 12 }, (_, i) => ({
      ...ref,
      webhook_id: 'wh_x',
      delivery_id: `dlv_${i}`,
      at: now.toISOString(),
    }));
    const queue = new SqsDeliveryQueue({
      queueUrl: QUEUE_URL,
      client: new SQSClient({ region: 'eu-west-1' }),
      now: clock,
    });
    await queue.enqueue(due);
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Entries!.length)).toEqual([10, 2]);
    expect(calls[0]!.Entries![0]).toEqual({
      Id: '0',
      MessageBody: JSON.stringify({ ...ref, webhook_id: 'wh_x', delivery_id: 'dlv_0' }),
      DelaySeconds: 0,
    });
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
    });
    await expect(queue.enqueue(due.slice(0, 1))).rejects.toThrow(
      'the deliveries queue refused 1 of 1 messages: InternalError try again',
    );
  });
});

describe('webhook deliveries in AWS', () => {
  it('makes a delivery per subscribed webhook from the stream, and the delivery function signs and sends it', async () => {
    const { webhook, secret } = await webhooks.create(ref, { url: `${base}/ok`, events: ['run.failed'] });
    await webhooks.create(ref, { url: `${base}/other`, events: ['run.succeeded'] });
    const event = runEvent('run.failed', run('run_01JD6R0G2M4S8V1X3Z5B7D9F1A'), now);
    expect(await publish({ Records: [streamRecord(event, '1')] })).toEqual({ batchItemFailures: [] });

    const sent = notices();
    expect(sent).toEqual([
      {
        Id: '0',
        MessageBody: JSON.stringify({ ...ref, webhook_id: webhook.id, delivery_id: `dlv_${event.id.slice(4)}` }),
        DelaySeconds: 0,
      },
    ]);
    expect(await deliver(batchOf(sent))).toEqual({ batchItemFailures: [] });
    const got = received.filter((r) => r.path === '/ok');
    expect(got).toHaveLength(1);
    const verified = new Verifier(secret).verify(
      got[0]!.body,
      got[0]!.headers as Record<string, string>,
    ) as ServiceEvent;
    expect(verified).toMatchObject({
      id: event.id,
      type: 'run.failed',
      data: { job_name: 'nightly', run: { id: 'run_01JD6R0G2M4S8V1X3Z5B7D9F1A', status: 'failed', exit_code: 1 } },
    });
    expect(received.filter((r) => r.path === '/other')).toHaveLength(0);
    const stored = await deliveries.get({ ...ref, webhook_id: webhook.id, delivery_id: `dlv_${event.id.slice(4)}` });
    expect(stored?.delivery).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      last_status_code: 200,
      next_attempt_at: null,
    });

    // The stream offers the record again: the delivery exists, its notice goes again, and nothing is sent twice.
    sqs.resetHistory();
    await publish({ Records: [streamRecord(event, '1')] });
    expect(await deliver(batchOf(notices()))).toEqual({ batchItemFailures: [] });
    expect(received.filter((r) => r.path === '/ok')).toHaveLength(1);
  });

  it('retries through the queue: a notice early is sent on with the time left, and attempted once due', async () => {
    answers.set('/flaky', [500, 200]);
    const { webhook } = await webhooks.create(ref, { url: `${base}/flaky`, events: ['run.failed'] });
    const event = runEvent('run.failed', run('run_01JD6R0G2M4S8V1X3Z5B7D9F1B'), now);
    await publish({ Records: [streamRecord(event, '2')] });
    const first = notices().filter((n) => n.MessageBody!.includes(webhook.id));
    sqs.resetHistory();
    await deliver(batchOf(first));
    // The 500 is recorded, and the retry's notice waits the schedule's first step.
    const retry = notices();
    expect(retry).toEqual([expect.objectContaining({ DelaySeconds: RETRY_SCHEDULE_MS[0]! / 1000 })]);
    const dref = { ...ref, webhook_id: webhook.id, delivery_id: `dlv_${event.id.slice(4)}` };
    expect((await deliveries.get(dref))?.delivery).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_status_code: 500,
    });

    // Handed the notice before its time (as the link of a longer chain is): nothing sent, the notice goes on.
    sqs.resetHistory();
    now = new Date(now.getTime() + 2_000);
    await deliver(batchOf(retry));
    expect(received.filter((r) => r.path === '/flaky')).toHaveLength(1);
    expect(notices()).toEqual([expect.objectContaining({ DelaySeconds: 3 })]);

    now = new Date(now.getTime() + 3_000);
    await deliver(batchOf(retry));
    expect(received.filter((r) => r.path === '/flaky').map((r) => r.headers['webhook-id'])).toEqual([
      event.id,
      event.id,
    ]);
    expect((await deliveries.get(dref))?.delivery).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      last_status_code: 200,
    });
  });

  it('waits a long retry as a chain of notices of fifteen minutes at most', async () => {
    answers.set('/down', [503]);
    const { webhook } = await webhooks.create(ref, { url: `${base}/down`, events: ['run.failed'] });
    const event = runEvent('run.failed', run('run_01JD6R0G2M4S8V1X3Z5B7D9F1C'), now);
    const dref = { ...ref, webhook_id: webhook.id, delivery_id: `dlv_${event.id.slice(4)}` };
    await publish({ Records: [streamRecord(event, '3')] });
    // Three failed attempts, each when due: the next waits the schedule's third step (30 minutes).
    for (const wait of [0, RETRY_SCHEDULE_MS[0]!, RETRY_SCHEDULE_MS[1]!]) {
      const pending = notices().filter((n) => n.MessageBody!.includes(webhook.id));
      sqs.resetHistory();
      now = new Date(now.getTime() + wait);
      await deliver(batchOf(pending.slice(-1)));
    }
    expect((await deliveries.get(dref))?.delivery).toMatchObject({ status: 'pending', attempts: 3 });
    // 30 minutes are two links of 15: the first is handed back early and sent on; the second is due.
    for (const expected of [900, 900]) {
      const link = notices();
      expect(link).toEqual([expect.objectContaining({ DelaySeconds: expected })]);
      sqs.resetHistory();
      now = new Date(now.getTime() + 900_000);
      await deliver(batchOf(link));
    }
    expect(received.filter((r) => r.path === '/down')).toHaveLength(4);
    expect((await deliveries.get(dref))?.delivery).toMatchObject({ status: 'pending', attempts: 4 });
  });

  it('sweeps deliveries whose notice was lost once they are overdue, and leaves those on time alone', async () => {
    const { webhook } = await webhooks.create(ref, { url: `${base}/swept`, events: ['run.failed'] });
    const lost = runEvent('run.failed', run('run_01JD6R0G2M4S8V1X3Z5B7D9F1D'), now);
    await publish({ Records: [streamRecord(lost, '4')] }); // its notice is never handed to the function
    sqs.resetHistory();
    now = new Date(now.getTime() + OVERDUE_MS - 1_000);
    await deliver({ 'detail-type': 'Scheduled Event' });
    expect(notices().filter((n) => n.MessageBody!.includes(webhook.id))).toEqual([]);

    now = new Date(now.getTime() + 2_000);
    expect(await deliver({ 'detail-type': 'Scheduled Event' })).toMatchObject({ handed_on: expect.any(Number) });
    const swept = notices().filter((n) => n.MessageBody!.includes(webhook.id));
    expect(swept).toEqual([expect.objectContaining({ DelaySeconds: 0 })]);
    await deliver(batchOf(swept));
    expect(received.filter((r) => r.path === '/swept').map((r) => r.headers['webhook-id'])).toEqual([lost.id]);
  });

  it('hands a test event and a redelivery to the queue at once, as the webhooks function does', async () => {
    const { webhook, secret } = await webhooks.create(ref, { url: `${base}/asked`, events: ['run.failed'] });
    const service = new DeliveryService({ webhooks: new DynamoWebhookStore(table), deliveries, deliverer, now: clock });
    const wref = { ...ref, webhook_id: webhook.id };
    const test = await service.test(wref);
    const asked = notices();
    expect(asked).toEqual([
      { Id: '0', MessageBody: JSON.stringify({ ...wref, delivery_id: test.id }), DelaySeconds: 0 },
    ]);
    sqs.resetHistory();
    await deliver(batchOf(asked));
    await service.redeliver({ ...wref, delivery_id: test.id });
    await deliver(batchOf(notices()));
    const got = received.filter((r) => r.path === '/asked');
    expect(
      got.map((r) => (new Verifier(secret).verify(r.body, r.headers as Record<string, string>) as ServiceEvent).type),
    ).toEqual(['webhook.test', 'webhook.test']);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it('offers a message again when its attempt cannot be recorded, and drops one that names no delivery', async () => {
    const { webhook } = await webhooks.create(ref, { url: `${base}/requeue`, events: ['run.failed'] });
    const event = runEvent('run.failed', run('run_01JD6R0G2M4S8V1X3Z5B7D9F1E'), now);
    await publish({ Records: [streamRecord(event, '5')] });
    const pending = notices().filter((n) => n.MessageBody!.includes(webhook.id));
    // The receiver answers 500 and the retry's notice cannot be sent: the message is offered again, and the
    // delivery is kept pending in the table, where the next offer (or the sweep) finds it.
    answers.set('/requeue', [500]);
    sqs.on(SendMessageBatchCommand).rejects(new Error('queue unavailable'));
    expect(await deliver(batchOf(pending))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(
      (await deliveries.get({ ...ref, webhook_id: webhook.id, delivery_id: `dlv_${event.id.slice(4)}` }))?.delivery,
    ).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500 });
    expect(await deliver({ Records: [{ messageId: 'junk', body: '{"nope":1}' }] })).toEqual({ batchItemFailures: [] });
  });
});
