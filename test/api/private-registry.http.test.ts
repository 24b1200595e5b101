// A job's image from a private registry: Debian's docker-registry (the Distribution registry) on loopback with
// htpasswd logins. The test image is pushed there and removed here; a run with registry_credentials pulls and runs
// it, one without fails at the pull naming the image and saying the registry wants credentials, one with a wrong
// login fails saying the registry refused them. Nothing of the login reaches a reply or the service's log.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeImage, testImage, type TestImage } from '../helpers/engine.ts';
import { projectPath, startTestService, waitForStatus, type TestService } from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';

const built = await testImage();
const tools = ['docker-registry', 'htpasswd'].filter((tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
const skip =
  'skip' in built
    ? built.skip
    : built.engine.name !== 'podman'
      ? 'the engine here is not podman'
      : tools.length > 0
        ? `${tools.join(' and ')} missing (apt-get install docker-registry apache2-utils)`
        : null;
if (skip) console.info(`private registry tests skipped: ${skip}`);

const USER = 'puller';
const PASSWORD = 'registry-pass-7781';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(skip !== null)('images from a private registry', () => {
  const P = projectPath('acme', 'registry');
  let dir: string;
  let registry: ChildProcess;
  let image: string;
  let t: TestService;
  const replies: string[] = [];
  const serviceLog: string[] = [];
  let restoreStdout: (() => void) | undefined;

  beforeAll(async () => {
    const { engine, image: local } = built as TestImage;
    dir = mkdtempSync(join(tmpdir(), 'jobs-registry-'));
    const port = await freePort();
    writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', USER, PASSWORD], { encoding: 'utf8' }));
    writeFileSync(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log: {level: error}',
        `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}}`,
        `http: {addr: "127.0.0.1:${port}"}`,
        `auth: {htpasswd: {realm: jobs-test, path: ${join(dir, 'htpasswd')}}}`,
      ].join('\n'),
    );
    registry = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => null))?.status === 401,
      'the registry answering',
      20_000,
    );
    image = `127.0.0.1:${port}/team/job:1`;
    execFileSync(engine.name, ['tag', local, image]);
    execFileSync(engine.name, ['push', '--tls-verify=false', '--creds', `${USER}:${PASSWORD}`, image], {
      stdio: 'ignore',
    });
    // Only the registry has it now: a run must pull it.
    execFileSync(engine.name, ['rmi', image], { stdio: 'ignore' });

    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      serviceLog.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    restoreStdout = () => {
      process.stdout.write = write;
    };
    const logger = new Logger({ serviceName: 'jobs-test', logLevel: 'DEBUG' });
    t = await startTestService('registry', { runner: 'podman', logger });
    t.api.onBody = (text) => replies.push(text);
  }, 120_000);

  afterAll(async () => {
    restoreStdout?.();
    await t?.stop();
    registry?.kill('SIGKILL');
    if (!('skip' in built)) {
      await removeImage(built.engine, image);
      await removeImage(built.engine, built.image);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('pulls with the job’s registry_credentials, and says what the registry wanted without them', async () => {
    const put = (name: string, value: unknown) =>
      t.api.request('PUT', `${P}/secrets/${name}`, { body: { value: JSON.stringify(value) } });
    expect((await put('registry-login', { username: USER, password: PASSWORD })).status).toBe(201);
    expect((await put('wrong-login', { username: USER, password: 'not-the-password' })).status).toBe(201);
    const run = async (name: string, spec: Record<string, unknown>) => {
      const job = (await t.api.post(`${P}/jobs`, { name, image, command: ['sh', '-c', 'cat /marker'], ...spec })).body
        .data;
      const started = (await t.api.post(`${P}/jobs/${job.id}/runs`)).body.data;
      const path = `${P}/jobs/${job.id}/runs/${started.id}` as const;
      return { path, run: await waitForStatus(t.api, path, ['succeeded', 'failed'], 120_000) };
    };

    const without = await run('without-login', {});
    expect(without.run.status).toBe('failed');
    expect(without.run.error).toContain(`the registry 127.0.0.1`);
    expect(without.run.error).toContain(`requires credentials (set the job's registry_credentials) for ${image}`);

    const wrong = await run('wrong-login', { registry_credentials: 'wrong-login' });
    expect(wrong.run.status).toBe('failed');
    expect(wrong.run.error).toContain(`refused the credentials of wrong-login for ${image}`);

    const pulled = await run('with-login', { registry_credentials: 'registry-login' });
    expect(pulled.run).toMatchObject({ status: 'succeeded', exit_code: 0 });
    expect((await t.api.get(`${pulled.path}/logs`)).body.data.map((l) => l.message)).toEqual([
      (built as TestImage).marker,
    ]);

    for (const [place, texts] of Object.entries({ 'API replies': replies, 'service log': serviceLog }))
      expect(
        texts.some((text) => text.includes(PASSWORD)),
        place,
      ).toBe(false);
  }, 300_000);
});
