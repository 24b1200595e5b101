// Load and scale: 30 clients, each with its own writer key, for 60 s against 200 jobs, mixing create, trigger,
// get, list and cancel; then every accepted trigger's run is followed to a terminal state (a run that never gets
// there is lost). And the first page of a project's runs with 100,000 runs beside the same with 100.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '../functions/core/run-model.ts';
import { isAlive, median, percentile, startAndWait, stop, type Started } from './lib/processes.ts';
import type { Section } from './lib/report.ts';
import { seedRuns } from './lib/seed-runs.ts';

const CLIENTS = 30;
const JOBS = 200;
const SECONDS = 60;
const LARGE = 100_000;
const SMALL = 100;
const LIST_SAMPLES = 300;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** The mix each client draws from, by weight. */
const MIX = [
  ['get', 30],
  ['list', 25],
  ['trigger', 20],
  ['create', 10],
  ['cancel', 15],
] as const;
type Op = (typeof MIX)[number][0];
/** The routes the mix calls, as reported. */
const ROUTES = [
  'GET …/jobs/{job_id}',
  'GET …/jobs/{job_id}/runs/{run_id}',
  'GET …/jobs',
  'GET …/runs',
  'POST …/jobs',
  'POST …/jobs/{job_id}/runs',
  'POST …/jobs/{job_id}/runs/{run_id}/cancel',
] as const;

const round = (ms: number) => Math.round(ms * 10) / 10;

function pick(): Op {
  let n = Math.random() * 100;
  for (const [op, weight] of MIX) {
    n -= weight;
    if (n < 0) return op;
  }
  return 'get';
}

async function startService(dir: string): Promise<Started & { servicePid: number }> {
  const started = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: dir, JOBS_RUNNER: 'process', PORT: '0' },
    (line) => typeof line.ready_ms === 'number',
  );
  return { ...started, servicePid: started.line.pid as number };
}

interface Call {
  status: number;
  ms: number;
  data: any;
}

function client(url: string, key: string) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  return async (method: string, path: string, body?: unknown): Promise<Call> => {
    const started = performance.now();
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const parsed = (await response.json()) as { data: any };
    return { status: response.status, ms: performance.now() - started, data: parsed.data };
  };
}

export async function load(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-load-'));
  const service = await startService(dir);
  const url = service.line.url as string;
  const admin = client(url, readFileSync(join(dir, 'admin-key'), 'utf8').trim());
  const WS = 'load';
  const P = `/v1/workspaces/${WS}/projects/mixed`;

  // 200 jobs: short runs, some of which a client cancels while they run.
  const jobIds: string[] = [];
  for (let i = 0; i < JOBS; i++) {
    const command = i % 2 === 0 ? 'echo start; sleep 1; echo end' : 'echo quick';
    jobIds.push((await admin('POST', `${P}/jobs`, { name: `load-${i}`, image: 'alpine', command })).data.id);
  }
  const keys = await Promise.all(
    Array.from(
      { length: CLIENTS },
      async (_, i) =>
        (await admin('POST', '/v1/keys', { name: `client-${i}`, role: 'writer', workspaces: [WS] })).data
          .secret as string,
    ),
  );

  const latencies = new Map<string, number[]>(ROUTES.map((route) => [route, []]));
  const statuses = new Map<string, number>();
  const accepted: Array<{ jobId: string; runId: string }> = [];
  let failures = 0;
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    keys.map(async (key) => {
      const call = client(url, key);
      const mine: Array<{ jobId: string; runId: string }> = [];
      const job = () => jobIds[Math.floor(Math.random() * jobIds.length)]!;
      while (Date.now() < until) {
        const op = pick();
        let result: Call;
        let route: (typeof ROUTES)[number];
        try {
          if (op === 'get') {
            const target = mine.at(-1 - Math.floor(Math.random() * Math.min(5, mine.length)));
            route = target && Math.random() < 0.5 ? 'GET …/jobs/{job_id}/runs/{run_id}' : 'GET …/jobs/{job_id}';
            result =
              target && route.endsWith('{run_id}')
                ? await call('GET', `${P}/jobs/${target.jobId}/runs/${target.runId}`)
                : await call('GET', `${P}/jobs/${job()}`);
          } else if (op === 'list') {
            route = Math.random() < 0.5 ? 'GET …/jobs' : 'GET …/runs';
            result = await call('GET', `${P}/${route === 'GET …/jobs' ? 'jobs' : 'runs'}?limit=20`);
          } else if (op === 'trigger') {
            route = 'POST …/jobs/{job_id}/runs';
            const jobId = job();
            result = await call('POST', `${P}/jobs/${jobId}/runs`);
            if (result.status === 202) {
              mine.push({ jobId, runId: result.data.id });
              accepted.push({ jobId, runId: result.data.id });
            }
          } else if (op === 'create') {
            route = 'POST …/jobs';
            result = await call('POST', `${P}/jobs`, {
              name: `made-${randomUUID()}`,
              image: 'alpine',
              command: 'true',
            });
          } else {
            const target = mine.at(-1 - Math.floor(Math.random() * Math.min(3, mine.length)));
            if (!target) continue;
            route = 'POST …/jobs/{job_id}/runs/{run_id}/cancel';
            result = await call('POST', `${P}/jobs/${target.jobId}/runs/${target.runId}/cancel`, { mode: 'force' });
          }
        } catch {
          failures++; // no answer within 30 s, or a connection error
          continue;
        }
        latencies.get(route)!.push(result.ms);
        statuses.set(`${route}|${result.status}`, (statuses.get(`${route}|${result.status}`) ?? 0) + 1);
      }
    }),
  );

  // Every accepted trigger must reach a terminal state.
  const settleStarted = Date.now();
  let lost = 0;
  const pending = [...accepted];
  while (pending.length > 0) {
    const batch = pending.splice(0, 100);
    const answer = await admin('POST', `${P}/runs/statuses`, { run_ids: batch.map((b) => b.runId), wait: 20 });
    for (const item of Object.values(answer.data as Record<string, { status: string }>))
      if (!TERMINAL.has(item.status)) lost++;
  }
  const settleMs = Date.now() - settleStarted;
  const fiveXX = [...statuses].filter(([k]) => Number(k.split('|')[1]) >= 500).reduce((sum, [, n]) => sum + n, 0);

  // List latency: the same first page with 100 and with 100,000 runs in the project.
  const template = (await admin('GET', `${P}/jobs/${accepted[0]!.jobId}/runs/${accepted[0]!.runId}`)).data as Run;
  const seedStarted = Date.now();
  await seedRuns(service.line.dynamodb_endpoint, { ...template, status: 'succeeded' }, 'small', SMALL);
  await seedRuns(service.line.dynamodb_endpoint, { ...template, status: 'succeeded' }, 'large', LARGE);
  const seedMs = Date.now() - seedStarted;
  const list = { small: [] as number[], large: [] as number[] };
  const page = (project: string) => admin('GET', `/v1/workspaces/${WS}/projects/${project}/runs`);
  for (let i = 0; i < 50; i++) await Promise.all([page('small'), page('large')]); // warm
  for (let i = 0; i < LIST_SAMPLES; i++) {
    for (const project of i % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const)) {
      const answer = await page(project);
      if (answer.status !== 200 || answer.data.length !== 20) throw new Error(`list of ${project}: ${answer.status}`);
      list[project].push(answer.ms);
    }
  }
  const deepPage = await (async () => {
    // Far pages cost the same: the cursor resumes the index query where the last page ended.
    let cursorPath = `/v1/workspaces/${WS}/projects/large/runs?limit=100`;
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const started = performance.now();
      const response = await fetch(`${url}${cursorPath}`, { headers: { authorization: `Bearer ${keys[0]}` } });
      const body = (await response.json()) as { next_cursor: string | null };
      times.push(performance.now() - started);
      if (!body.next_cursor) break;
      cursorPath = `/v1/workspaces/${WS}/projects/large/runs?limit=100&cursor=${encodeURIComponent(body.next_cursor)}`;
    }
    return times;
  })();

  process.kill(service.servicePid, 'SIGTERM');
  while (isAlive(service.servicePid)) await new Promise((resolve) => setTimeout(resolve, 20));
  await stop(service.child, service.exited);
  rmSync(dir, { recursive: true, force: true });

  const total = [...latencies.values()].reduce((sum, l) => sum + l.length, 0);
  const statusText = (route: string) =>
    [...statuses]
      .filter(([k]) => k.startsWith(`${route}|`))
      .sort()
      .map(([k, n]) => `${k.split('|')[1]}: ${n}`)
      .join(', ');
  const ratio = median(list.large) / median(list.small);
  return {
    title: 'Load: 30 clients for 60 s, and list latency at 100,000 runs',
    tables: [
      {
        caption: `${CLIENTS} clients (each its own writer key, the default per-key throttle on), ${JOBS} jobs, ${SECONDS} s; latency in ms`,
        head: ['route', 'requests', 'p50', 'p99', 'statuses'],
        rows: ROUTES.map((route) => {
          const values = latencies.get(route)!;
          return [
            route,
            `${values.length}`,
            `${round(percentile(values, 50))}`,
            `${round(percentile(values, 99))}`,
            statusText(route),
          ];
        }),
      },
      {
        caption: 'What the load left behind (goal: zero 5xx, zero lost runs)',
        head: [
          'requests',
          'req/s',
          '5xx',
          'no answer',
          'triggers accepted',
          'runs not terminal (lost)',
          'time to settle them (ms)',
        ],
        rows: [
          [
            `${total}`,
            `${Math.round(total / SECONDS)}`,
            `${fiveXX}`,
            `${failures}`,
            `${accepted.length}`,
            `${lost}`,
            `${settleMs}`,
          ],
        ],
      },
      {
        caption: `First page (20) of a project's runs, ${LIST_SAMPLES} sequential requests each, interleaved; latency in ms (goal: 100,000 within 1.5 × of 100)`,
        head: ['runs in the project', 'p50', 'p99', 'ratio of p50s'],
        rows: [
          [`${SMALL}`, `${round(median(list.small))}`, `${round(percentile(list.small, 99))}`, '1'],
          [
            `${LARGE.toLocaleString('en')}`,
            `${round(median(list.large))}`,
            `${round(percentile(list.large, 99))}`,
            ratio.toFixed(2),
          ],
        ],
      },
    ],
    notes: [
      `Cancel answers 409 when the run finished first (most runs last under a second), and trigger 409 never: jobs allow concurrent runs.`,
      `The ${LARGE.toLocaleString('en')} runs were written straight to the table in the run store's item layout (${Math.round(seedMs / 1000)} s); pages further on, 100 at a time by cursor, took a median of ${round(median(deepPage))} ms.`,
    ],
  };
}
