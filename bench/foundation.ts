// Foundation figures: `npm start` to ready, memory, and the API's latency and throughput beside two ceilings
// measured in the same run: a constant JSON server, and a server doing only the request's storage work.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, type LoadResult } from './lib/load.ts';
import { isAlive, median, rssMiB, startAndWait, stop, type Started } from './lib/processes.ts';
import type { Section } from './lib/report.ts';

const ready = (line: Record<string, any>) => typeof line.ready_ms === 'number';
const ROUNDS = 3;

/** `npm start` as a user runs it; resolves at the ready line, which carries the service's own pid. */
async function npmStart(dataDir: string): Promise<Started & { servicePid: number }> {
  const started = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: dataDir, JOBS_RUNNER: 'process', PORT: '0', JOBS_RATE_LIMIT: 'off' },
    ready,
  ); // capacity, not the throttle
  return { ...started, servicePid: started.line.pid as number };
}

async function stopService(service: Started & { servicePid: number }): Promise<void> {
  process.kill(service.servicePid, 'SIGTERM');
  // npm may exit before the service has finished stopping; the service's own exit is what frees the data dir.
  while (isAlive(service.servicePid)) await new Promise((resolve) => setTimeout(resolve, 20));
  await stop(service.child, service.exited);
}

async function startCeiling(script: string, args: string[]): Promise<Started & { url: string }> {
  const started = await startAndWait(
    process.execPath,
    [join('bench', 'ceilings', script), ...args],
    {},
    (line) => typeof line.port === 'number',
  );
  return { ...started, url: `http://127.0.0.1:${started.line.port}` };
}

export async function foundation(): Promise<Section> {
  // Start-up: three first starts (new data dir: table and admin key created) and three restarts.
  const fresh: number[] = [];
  const restart: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-'));
    const first = await npmStart(dir);
    fresh.push(first.elapsedMs);
    await stopService(first);
    const again = await npmStart(dir);
    restart.push(again.elapsedMs);
    await stopService(again);
    rmSync(dir, { recursive: true, force: true });
  }

  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-'));
  const service = await npmStart(dir);
  const url = service.line.url as string;
  const key = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
  const enginePid = service.line.dynamodb_pid as number;
  const idle = { node: rssMiB(service.servicePid), java: rssMiB(enginePid) };

  const admin = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const workspace = 'bench';
  const projectId = `p${Date.now()}`;
  const project = `/v1/workspaces/${workspace}/projects/${projectId}`;
  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body) }).then(
      (r) => r.json() as Promise<{ data: any }>,
    );
  // Clients use keys they were given, not the bootstrap admin key: measure with a writer key.
  const writer = (await post('/v1/keys', { name: 'bench', role: 'writer', workspaces: [workspace] })).data
    .secret as string;
  const headers = { authorization: `Bearer ${writer}`, 'content-type': 'application/json' };
  const jobId = (
    await post(`${project}/jobs`, {
      name: 'bench-target',
      image: 'alpine:3.20',
      command: ['true'],
      env: { STAGE: 'bench' },
      tags: { team: 'bench' },
    })
  ).data.id as string;
  const newJob = () => JSON.stringify({ name: `b-${randomUUID()}`, image: 'alpine:3.20', command: ['true'] });

  const constant = await startCeiling('constant-server.ts', []);
  const storage = await startCeiling('storage-server.ts', [
    service.line.dynamodb_endpoint,
    'jobs',
    workspace,
    projectId,
    jobId,
  ]);
  const targets: Record<string, Parameters<typeof load>[0]> = {
    'GET constant': { url: `${constant.url}/`, headers },
    'GET storage': { url: `${storage.url}/`, headers },
    'GET api': { url: `${url}${project}/jobs/${jobId}`, headers },
    'POST constant': { url: `${constant.url}/`, method: 'POST', headers, body: newJob },
    'POST storage': { url: `${storage.url}/`, method: 'POST', headers, body: newJob },
    'POST api': { url: `${url}${project}/jobs`, method: 'POST', headers, body: newJob },
  };
  // DynamoDB Local's JIT needs load before it reaches its pace; whoever ran first would be slowed.
  await load({ ...targets['GET storage']!, seconds: 10, warmupSeconds: 0 });
  await load({ ...targets['POST storage']!, seconds: 5, warmupSeconds: 0 });
  // Three rounds, the targets interleaved within each, so drift hits all alike; medians are reported.
  const runs: Record<string, LoadResult[]> = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, target] of Object.entries(targets))
      runs[name]!.push(await load({ ...target, seconds: 6, warmupSeconds: 1 }));
  }
  const results: Record<string, LoadResult> = Object.fromEntries(
    Object.entries(runs).map(([name, list]) => [
      name,
      {
        requests: median(list.map((r) => r.requests)),
        rps: Math.round(median(list.map((r) => r.rps))),
        p50: median(list.map((r) => r.p50)),
        p99: median(list.map((r) => r.p99)),
        non2xx: list.reduce((sum, r) => sum + r.non2xx, 0),
        errors: list.reduce((sum, r) => sum + r.errors, 0),
      },
    ]),
  );
  // One connection: the latency of a single request, without queueing behind others.
  const single = {
    storage: await load({ ...targets['GET storage']!, connections: 1, seconds: 6, warmupSeconds: 1 }),
    api: await load({ ...targets['GET api']!, connections: 1, seconds: 6, warmupSeconds: 1 }),
  };
  const loaded = { node: rssMiB(service.servicePid), java: rssMiB(enginePid) };

  await stop(constant.child, constant.exited);
  await stop(storage.child, storage.exited);
  await stopService(service);
  rmSync(dir, { recursive: true, force: true });

  const row = (name: string) => {
    const r = results[name]!;
    return [name, `${r.p50}`, `${r.p99}`, `${r.rps}`, `${r.non2xx + r.errors}`];
  };
  const ratio = (a: string, b: string) => (results[a]!.rps / results[b]!.rps).toFixed(2);
  return {
    title: 'Foundation: start-up, memory, jobs API latency and throughput',
    tables: [
      {
        caption: '`npm start` to ready (ms), median of 3',
        head: ['start', 'median', 'runs'],
        rows: [
          ['first start (new data dir)', `${Math.round(median(fresh))}`, fresh.map(Math.round).join(', ')],
          ['restart (existing data)', `${Math.round(median(restart))}`, restart.map(Math.round).join(', ')],
        ],
      },
      {
        caption: 'Resident memory (MiB)',
        head: ['process', 'idle after start', 'after the load below'],
        rows: [
          ['node (the service)', `${idle.node}`, `${loaded.node}`],
          ['java (DynamoDB Local)', `${idle.java}`, `${loaded.java}`],
        ],
      },
      {
        caption: `16 connections (autocannon), a writer key, the per-key throttle off; median of ${ROUNDS} interleaved rounds of 6 s after the engine's warm-up; latency in ms`,
        head: ['target', 'p50', 'p99', 'req/s', 'non-2xx or errors'],
        rows: ['GET constant', 'GET storage', 'GET api', 'POST constant', 'POST storage', 'POST api'].map(row),
      },
      {
        caption: 'GET …/jobs/{id} with 1 connection (no queueing); latency in ms',
        head: ['target', 'p50', 'p99', 'req/s'],
        rows: [
          ['GET storage', `${single.storage.p50}`, `${single.storage.p99}`, `${single.storage.rps}`],
          ['GET api', `${single.api.p50}`, `${single.api.p99}`, `${single.api.rps}`],
        ],
      },
      {
        caption: 'Ratios of requests/s (goal: api ≥ 0.7 × storage ceiling; GET p50 ≤ 5 ms)',
        head: ['route', 'api / storage ceiling', 'api / constant ceiling', 'api p50 (ms)'],
        rows: [
          [
            'GET …/jobs/{id}',
            ratio('GET api', 'GET storage'),
            ratio('GET api', 'GET constant'),
            `${results['GET api']!.p50}`,
          ],
          [
            'POST …/jobs',
            ratio('POST api', 'POST storage'),
            ratio('POST api', 'POST constant'),
            `${results['POST api']!.p50}`,
          ],
        ],
      },
    ],
  };
}
