// Secrets end to end, on host processes and on podman: a job with two secrets (one a key of a JSON value) prints
// their lengths and the values themselves; its served log shows the lengths and *** in place of each value. The
// values are then looked for, byte by byte, everywhere they must not be: every API reply of the test, the
// service's whole log, every item of its table (raw), every webhook body a real receiver got, every file of the data
// directory once the runs have settled, and (podman) the container's `inspect` while it runs. A new value reaches
// the next run; a used secret cannot be deleted; bad input gets a 4xx naming the field.
import { ScanCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectPath, startTestService, waitForStatus, type TestService } from '../helpers/service.ts';
import { removeImage, testImage, type TestImage } from '../helpers/engine.ts';
import { eventually } from '../helpers/wait.ts';

const PASSWORD = 'hunter2-alpha-9'; // 15 characters
const TOKEN = 'tok-XYZ-12345'; // 13 characters
const ROTATED = 'a-much-longer-new-value-000'; // 27 characters
const VALUES = [PASSWORD, TOKEN, ROTATED];

const built = await testImage();

/** Every file under a directory, with its size: what is scanned for a value. */
function files(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...files(path));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/** Where a value was found among `texts`, by their label; and how many bytes were looked through. */
function scan(places: Record<string, string[]>): { leaks: string[]; bytes: Record<string, number> } {
  const leaks: string[] = [];
  const bytes: Record<string, number> = {};
  for (const [place, texts] of Object.entries(places)) {
    bytes[place] = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    for (const value of VALUES) if (texts.some((text) => text.includes(value))) leaks.push(`${value} in ${place}`);
  }
  return { leaks, bytes };
}

const runners = [
  { runner: 'process' as const, image: 'alpine', skip: null as string | null },
  {
    runner: 'podman' as const,
    image: 'skip' in built ? '' : built.image,
    skip: 'skip' in built ? built.skip : built.engine.name === 'podman' ? null : 'the engine here is not podman',
  },
];

describe.each(runners)('secrets on $runner', ({ runner, image, skip }) => {
  if (skip) console.info(`secrets on ${runner} skipped: ${skip}`);
  const P = projectPath('acme', `secrets-${runner}`);
  let t: TestService;
  let receiver: Server;
  let receiverUrl: string;
  const replies: string[] = [];
  const webhookBodies: string[] = [];
  const serviceLog: string[] = [];
  let restoreStdout: (() => void) | undefined;

  beforeAll(async () => {
    if (skip) return;
    // The service's log (Powertools writes it to stdout): every line it writes during the test.
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      serviceLog.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    restoreStdout = () => {
      process.stdout.write = write;
    };
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        webhookBodies.push(JSON.stringify(request.headers) + body);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    // Every line the service writes, debug included.
    const logger = new Logger({ serviceName: 'jobs-test', logLevel: 'DEBUG' });
    t = await startTestService(`secrets-${runner}`, { runner, logger });
    t.api.onBody = (text) => replies.push(text);
  }, 60_000);
  afterAll(async () => {
    restoreStdout?.();
    await t?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    if (runner === 'podman' && !('skip' in built)) await removeImage((built as TestImage).engine, image);
  });

  it.skipIf(skip !== null)(
    'gives a run its secrets, serves its output masked, and the values are nowhere else',
    async () => {
      const put = (name: string, value: string) => t.api.request('PUT', `${P}/secrets/${name}`, { body: { value } });
      const created = await put('db-password', PASSWORD);
      expect(created.status).toBe(201);
      expect(created.body.data).toMatchObject({ name: 'db-password', version: 1, source: 'stored', used_by: [] });
      expect((await put('vendor', JSON.stringify({ token: TOKEN, other: 'x' }))).status).toBe(201);
      const hook = await t.api.post(`${P}/webhooks`, { url: receiverUrl, events: ['run.started', 'run.succeeded'] });
      expect(hook.status).toBe(201);

      const job = await t.api.post(`${P}/jobs`, {
        name: 'uses-secrets',
        image,
        command: [
          'sh',
          '-c',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
          'echo "len=${#DB_PASSWORD}"; echo "pw=$DB_PASSWORD"; echo "tok=$API_TOKEN len=${#API_TOKEN}"; ' +
            'if [ -n "$HOLD" ]; then sleep 300; fi',
        ],
        secrets: { DB_PASSWORD: 'db-password', API_TOKEN: 'vendor#token' },
      });
      expect(job.status).toBe(201);
      const jobId = job.body.data.id;
      expect(job.body.data.secrets).toEqual({ DB_PASSWORD: 'db-password', API_TOKEN: 'vendor#token' });
      expect((await t.api.get(`${P}/secrets/db-password`)).body.data.used_by).toEqual([jobId]);

      // Podman: the container is created without the values (they are engine secrets, by name); podman 4.3.1's
      // inspect of the running container lists the process's environment, secrets included, so what is checked
      // here is how it was created and the engine secrets' own description.
      if (runner === 'podman') {
        const held = (await t.api.post(`${P}/jobs/${jobId}/runs`, { env: { HOLD: '1' } })).body.data;
        const path = `${P}/jobs/${jobId}/runs/${held.id}` as const;
        await waitForStatus(t.api, path, ['running'], 60_000);
        await eventually(
          async () => (await t.api.get(`${path}/logs`)).body.data.length >= 3,
          'the held run wrote its lines',
          20_000,
        );
        const container = (await t.api.get(path)).body.data.backend.task!;
        const created = execFileSync('podman', ['inspect', '--format', '{{json .Config.CreateCommand}}', container], {
          encoding: 'utf8',
        });
        const names = execFileSync('podman', ['secret', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' })
          .split('\n')
          .filter((name) => name.includes(held.id.toLowerCase()));
        const engineSecrets = execFileSync('podman', ['secret', 'inspect', ...names], { encoding: 'utf8' });
        const secretsInspected = execFileSync('podman', ['secret', 'ls', '--format', '{{.Name}}'], {
          encoding: 'utf8',
        });
        expect(secretsInspected).toMatch(/-db_password/);
        expect(created).toContain('type=env,target=DB_PASSWORD');
        expect(scan({ 'podman create': [created], 'podman secret inspect': [engineSecrets] }).leaks).toEqual([]);
        await t.api.post(`${path}/cancel`, { mode: 'force' });
        await waitForStatus(t.api, path, ['cancelled'], 30_000);
        // The engine secrets go with the container.
        await eventually(
          () =>
            !execFileSync('podman', ['secret', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' }).includes(
              held.id.toLowerCase(),
            ),
          'the engine secrets removed with the container',
          30_000,
        );
      }

      const run = (await t.api.post(`${P}/jobs/${jobId}/runs`)).body.data;
      expect(run.secrets).toEqual(['API_TOKEN', 'DB_PASSWORD']);
      const path = `${P}/jobs/${jobId}/runs/${run.id}` as const;
      const done = await waitForStatus(t.api, path, ['succeeded', 'failed'], 60_000);
      expect(done).toMatchObject({ status: 'succeeded', secrets: ['API_TOKEN', 'DB_PASSWORD'] });
      const lines = async (at: typeof path) => (await t.api.get(`${at}/logs`)).body.data.map((l) => l.message);
      expect(await lines(path)).toEqual(['len=15', 'pw=***', 'tok=*** len=13']);
      expect((await t.api.get(`${P}/jobs/${jobId}/logs`)).body.data.map((l) => l.message)).toContain('pw=***');
      // A filter for the value finds nothing: the stored text has none.
      expect((await t.api.get(`${path}/logs?filter=${PASSWORD}`)).body.data).toEqual([]);

      // A new value reaches the next run, with no change to the job.
      const rotated = await put('db-password', ROTATED);
      expect(rotated.status).toBe(200);
      expect(rotated.body.data).toMatchObject({ version: 2, used_by: [jobId] });
      const next = (await t.api.post(`${P}/jobs/${jobId}/runs`)).body.data;
      const nextPath = `${P}/jobs/${jobId}/runs/${next.id}` as const;
      expect(await waitForStatus(t.api, nextPath, ['succeeded', 'failed'], 60_000)).toMatchObject({
        status: 'succeeded',
      });
      expect(await lines(nextPath)).toEqual(['len=27', 'pw=***', 'tok=*** len=13']);

      // A used secret is kept; the job is named.
      const refused = await t.api.delete(`${P}/secrets/db-password`);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain(jobId);

      await eventually(
        () => webhookBodies.filter((b) => b.includes('run.succeeded')).length >= 2,
        'the webhook got both successes',
        20_000,
      );
      // Once the runs have settled, nothing under the data directory holds a value (raw output goes with them).
      const dataDir = t.service.dataDir;
      await eventually(
        () => scan({ data: files(dataDir).map((f) => readFileSync(f, 'latin1')) }).leaks.length === 0,
        'no file of the data directory holds a value',
        20_000,
      );
      const key = join(dataDir, 'secrets.key');
      expect(statSync(key).mode & 0o777).toBe(0o600);

      const dynamodb = new DynamoDBClient({
        endpoint: t.service.dynamodbEndpoint,
        region: 'local',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const items: string[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await dynamodb.send(
          new ScanCommand({ TableName: t.service.tableName, ExclusiveStartKey: startKey as never }),
        );
        items.push(...(page.Items ?? []).map((item) => JSON.stringify(item)));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      expect(items.some((item) => item.includes('SECRETVALUE#db-password'))).toBe(true);

      const { leaks, bytes } = scan({
        'API replies': replies,
        'service log': serviceLog,
        'table items': items,
        'webhook bodies': webhookBodies,
        'data directory': files(dataDir).map((f) => readFileSync(f, 'latin1')),
      });
      expect(leaks).toEqual([]);
      for (const place of Object.keys(bytes)) expect(bytes[place], place).toBeGreaterThan(0);
      console.info(JSON.stringify({ secrets: runner, scanned_bytes: bytes }));
    },
    240_000,
  );

  it.skipIf(skip !== null)('refuses what cannot be a secret or a reference, naming the field', async () => {
    const body = (name: string, value: unknown) => t.api.request('PUT', `${P}/secrets/${name}`, { body: value });
    expect((await body('ok', {})).body.errors?.[0]?.field).toBe('body');
    expect((await body('ok', { value: '' })).body.errors?.[0]?.field).toBe('value');
    expect((await body('ok', { value: 'x'.repeat(32 * 1024 + 1) })).body.errors?.[0]?.field).toBe('value');
    expect((await body('bad name', { value: 'v' })).status).toBe(400);
    const link = await body('linked', { arn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/db-AbCdEf' });
    expect(link.status).toBe(400);
    expect(link.body.errors).toEqual([{ field: 'arn', message: expect.stringContaining('applies in AWS') }]);

    const unknown = await t.api.post(`${P}/jobs`, {
      name: 'names-a-missing-secret',
      image: 'alpine',
      command: 'true',
      secrets: { TOKEN: 'nope' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { field: 'secrets.TOKEN', message: "'nope' is not a secret of this project" },
    ]);
    const both = await t.api.post(`${P}/jobs`, {
      name: 'env-and-secret',
      image: 'alpine',
      command: 'true',
      env: { TOKEN: 'plain' },
      secrets: { TOKEN: 'db-password' },
    });
    expect(both.status).toBe(400);
    expect(both.body.errors?.[0]?.field).toBe('secrets.TOKEN');
    expect((await t.api.get(`${P}/secrets/never-set`)).status).toBe(404);

    // A variable read from a secret cannot be overridden by a trigger.
    expect((await body('guarded', { value: 'guarded-value' })).status).toBe(201);
    const guarded = await t.api.post(`${P}/jobs`, {
      name: 'guarded',
      image: 'alpine',
      command: 'true',
      secrets: { TOKEN: 'guarded' },
    });
    const overridden = await t.api.post(`${P}/jobs/${guarded.body.data.id}/runs`, { env: { TOKEN: 'mine' } });
    expect(overridden.status).toBe(400);
    expect(overridden.body.errors).toEqual([
      { field: 'env.TOKEN', message: 'is set from a secret; a run cannot override it' },
    ]);
  });
});
