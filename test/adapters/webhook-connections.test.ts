// A webhook delivery connects to exactly the addresses its destination check passed, never to what its host
// resolves to a moment later (DNS rebinding). The send is tested with real sockets: receivers on two loopback
// addresses behind one name, and a TLS server reading the name the client asks for; the deliverer with a resolver
// the test flips between a public address and loopback, against DynamoDB Local.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../functions/adapters/dynamodb/delivery-store.ts';
import { DynamoJobStore } from '../../functions/adapters/dynamodb/job-store.ts';
import { DynamoWebhookStore } from '../../functions/adapters/dynamodb/webhook-store.ts';
import { sendHttp } from '../../functions/adapters/http-send.ts';
import type { Send } from '../../functions/core/ports.ts';
import { Deliverer } from '../../functions/core/delivery-service.ts';
import type { Resolve } from '../../functions/core/ports.ts';
import { webhookTestEvent } from '../../functions/core/events.ts';
import { buildJob } from '../../functions/core/jobs.ts';
import { WebhookService } from '../../functions/core/webhook-service.ts';
import { createTestTable } from '../helpers/dynamodb.ts';

/** An HTTP receiver on one address, recording the Host header of each request. */
async function receiver(address: string, port = 0): Promise<{ server: Server; port: number; hosts: string[] }> {
  const hosts: string[] = [];
  const server = createServer((request, response) => {
    hosts.push(request.headers.host ?? '');
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, address, resolve));
  return { server, port: (server.address() as AddressInfo).port, hosts };
}

describe('a delivery send', () => {
  const servers: Array<Server | TlsServer> = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });

  it('connects to the address it is given, not to the one the system resolves the name to', async () => {
    // `localhost` resolves to 127.0.0.1 here; the check passed 127.0.0.2 (loopback too: both are this machine).
    const resolved = await receiver('127.0.0.1');
    const checked = await receiver('127.0.0.2', resolved.port);
    servers.push(resolved.server, checked.server);
    for (let i = 0; i < 5; i++) {
      expect(
        await sendHttp(`http://localhost:${resolved.port}/hook`, { 'content-type': 'application/json' }, '{}', 5_000, [
          '127.0.0.2',
        ]),
      ).toEqual({ status: 204, retry_after: null });
    }
    expect(resolved.hosts).toEqual([]);
    expect(checked.hosts).toEqual(Array(5).fill(`localhost:${resolved.port}`));
  });

  it('keeps the host name for TLS: the server is asked for the name, at the checked address', async () => {
    const asked: string[] = [];
    const tls = createTlsServer({
      SNICallback: (name, done) => {
        asked.push(name);
        done(new Error('no certificate here'), undefined);
      },
    });
    servers.push(tls);
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.2', resolve));
    const port = (tls.address() as AddressInfo).port;
    const result = await sendHttp(`https://hooks.test:${port}/hook`, {}, '{}', 5_000, ['127.0.0.2']);
    expect(result).toEqual({ error: expect.any(String) });
    expect(asked).toEqual(['hooks.test']);
  });

  it("reports a connection refused at the checked address as the attempt's error", async () => {
    expect(await sendHttp('http://[::1]:9/hook', {}, '{}', 5_000, ['::1'])).toEqual({
      error: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});

describe('a delivery to a name that rebinds between public and loopback', () => {
  const ref = { workspace_id: 'acme', project_id: 'rebinding' };
  const jobId = 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XC';
  let table: Awaited<ReturnType<typeof createTestTable>>;
  beforeAll(async () => {
    table = await createTestTable('rebinding');
  });
  afterAll(() => table?.drop());

  it('resolves once per attempt, and sends only to the address that attempt checked', async () => {
    const answers = [['93.184.216.34'], ['127.0.0.1']];
    let resolutions = 0;
    const resolve: Resolve = async () => answers[resolutions++ % 2]!;
    const sent: Array<readonly string[]> = [];
    const send: Send = async (_url, _headers, _body, _timeout, addresses) => {
      sent.push(addresses);
      return { status: 500, retry_after: null };
    };
    const destinations = { allowPrivate: false, resolve };
    const jobs = new DynamoJobStore(table);
    await jobs.create(buildJob(ref, jobId, { name: 'nightly', image: 'alpine', command: ['true'] }, 't', 't'));
    const store = new DynamoWebhookStore(table);
    const deliveries = new DynamoDeliveryStore(table);
    const { webhook } = await new WebhookService({ store, jobs, destinations }).create(ref, {
      url: 'https://rebind.example/hook',
      events: ['run.failed'],
    });
    expect(resolutions).toBe(1); // the create's check saw the public address
    const schedule = Array(40).fill(0);
    const deliverer = new Deliverer({ webhooks: store, deliveries, send, destinations, schedule });
    const delivery = await deliverer.create(webhook, webhookTestEvent(ref, new Date()));
    const dref = { ...ref, webhook_id: webhook.id, delivery_id: delivery.id };
    const errors: Array<string | null> = [];
    for (let attempt = 0; attempt < 20; attempt++)
      errors.push((await deliverer.attempt((await deliveries.get(dref))!)).last_error);
    expect(resolutions).toBe(21);
    expect(sent).toEqual(Array(10).fill(['93.184.216.34']));
    // Every other attempt found the name on loopback, and was refused before any connection.
    expect(
      errors.filter((e) => e?.includes('resolves to 127.0.0.1, a loopback address, and private destinations are off')),
    ).toHaveLength(10);
    expect(errors.filter((e) => e === 'the receiver answered 500')).toHaveLength(10);
  });
});
