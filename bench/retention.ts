// Retention: the first page of a job's runs and of its project's runs with 100,000 runs, before and after the
// job's history is lowered to 1,000 and trimmed (99,000 runs removed, by the same trim a settle runs), and how
// fast the trim removes them.
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoJobStore } from '../functions/adapters/dynamodb/job-store.ts';
import { key } from '../functions/adapters/dynamodb/keys.ts';
import { DynamoRunStore } from '../functions/adapters/dynamodb/run-store.ts';
import { DynamoTable } from '../functions/adapters/dynamodb/table-client.ts';
import { RunRetention } from '../functions/core/retention.ts';
import type { Run } from '../functions/core/run-model.ts';
import { DEFAULT_TABLE } from '../local-server/service.ts';
import { median, percentile, startAndWait, stop } from './lib/processes.ts';
import type { Section } from './lib/report.ts';
import { seedRuns } from './lib/seed-runs.ts';

const RUNS = 100_000;
const KEEP = 1_000;
const SAMPLES = 200;
const round = (ms: number) => Math.round(ms * 10) / 10;

export async function retention(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-retention-'));
  const service = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: dir, JOBS_RUNNER: 'process', PORT: '0', JOBS_RATE_LIMIT: 'off' },
    (line) => typeof line.ready_ms === 'number',
  );
  const key0 = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
  const headers = { authorization: `Bearer ${key0}`, 'content-type': 'application/json' };
  const P = `${service.line.url as string}/v1/workspaces/bench/projects/retention`;
  const call = async (method: string, path: string, body?: unknown) => {
    const started = performance.now();
    const response = await fetch(`${P}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      ms: performance.now() - started,
      data: ((await response.json()) as { data: any }).data,
    };
  };

  const job = (
    await call('POST', '/jobs', { name: 'history', image: 'alpine', command: 'true', history: { max_runs: 10_000 } })
  ).data;
  const first = (await call('POST', `/jobs/${job.id}/runs`)).data;
  const template = (await call('GET', `/jobs/${job.id}/runs/${first.id}?wait=20`)).data as Run;
  const seedStarted = Date.now();
  await seedRuns(service.line.dynamodb_endpoint as string, { ...template, status: 'succeeded' }, 'retention', RUNS - 1);
  const table = new DynamoTable({ tableName: DEFAULT_TABLE, endpoint: service.line.dynamodb_endpoint as string });
  const ref = { workspace_id: 'bench', project_id: 'retention', job_id: job.id as string };
  // The seeded runs are counted on the job as runs made by the service are.
  await table.send(
    new UpdateItemCommand({
      TableName: table.name,
      Key: marshall({ PK: key.project(ref), SK: key.job(ref.job_id) }),
      UpdateExpression: 'ADD #counts.#total :n, #counts.#succeeded :n',
      ExpressionAttributeNames: { '#counts': 'counts', '#total': 'total', '#succeeded': 'succeeded' },
      ExpressionAttributeValues: marshall({ ':n': RUNS - 1 }),
    }),
  );
  const seedMs = Date.now() - seedStarted;

  const pages = async () => {
    const times = { job: [] as number[], project: [] as number[] };
    for (let i = 0; i < 20; i++) await Promise.all([call('GET', `/jobs/${job.id}/runs`), call('GET', '/runs')]);
    for (let i = 0; i < SAMPLES; i++) {
      for (const [which, path] of (i % 2 === 0
        ? [
            ['job', `/jobs/${job.id}/runs`],
            ['project', '/runs'],
          ]
        : [
            ['project', '/runs'],
            ['job', `/jobs/${job.id}/runs`],
          ]) as Array<['job' | 'project', string]>) {
        const answer = await call('GET', path);
        if (answer.status !== 200 || answer.data.length !== 20) throw new Error(`list ${path}: ${answer.status}`);
        times[which].push(answer.ms);
      }
    }
    return times;
  };
  const before = await pages();
  const countsBefore = (await call('GET', `/jobs/${job.id}/status`)).data.counts;

  const jobs = new DynamoJobStore(table);
  const runs = new DynamoRunStore(table);
  const trimStarted = performance.now();
  const trimmer = new RunRetention({ jobs, runs, artifacts: [] });
  let removed = 0;
  for (let pass = await trimmer.trim(ref, KEEP); pass.removed > 0; pass = await trimmer.trim(ref, KEEP))
    removed += pass.removed;
  const trimMs = performance.now() - trimStarted;
  const after = await pages();
  const countsAfter = (await call('GET', `/jobs/${job.id}/status`)).data.counts;
  table.destroy();

  process.kill(service.line.pid as number, 'SIGTERM');
  await stop(service.child, service.exited);
  rmSync(dir, { recursive: true, force: true });

  const row = (label: string, values: number[]) => [
    label,
    `${round(median(values))}`,
    `${round(percentile(values, 99))}`,
  ];
  return {
    title: 'Retention: list latency before and after a trim of 99,000 runs',
    tables: [
      {
        caption: `First page (20) of runs, ${SAMPLES} sequential requests each, interleaved; latency in ms`,
        head: ['', 'p50', 'p99'],
        rows: [
          row(`job's runs, ${countsBefore.retained.toLocaleString('en')} kept`, before.job),
          row(`project's runs, ${countsBefore.retained.toLocaleString('en')} kept`, before.project),
          row(`job's runs, ${countsAfter.retained.toLocaleString('en')} kept after the trim`, after.job),
          row(`project's runs, ${countsAfter.retained.toLocaleString('en')} kept after the trim`, after.project),
        ],
      },
      {
        caption: `The trim to max_runs ${KEEP.toLocaleString('en')}: the settle's own trim, called until it removed nothing more`,
        head: ['runs removed', 'seconds', 'runs/s', 'counts.total after', 'counts.retained after'],
        rows: [
          [
            `${removed.toLocaleString('en')}`,
            `${round(trimMs / 1000)}`,
            `${Math.round(removed / (trimMs / 1000))}`,
            `${countsAfter.total}`,
            `${countsAfter.retained}`,
          ],
        ],
      },
    ],
    notes: [
      `The ${(RUNS - 1).toLocaleString('en')} runs were written straight to the table in the run store's item layout (${Math.round(seedMs / 1000)} s).`,
    ],
  };
}
