// Job health: `GET …/jobs/{id}/status` (with its health) for a job of 10 runs and one of 100,000, taken in turn
// from one service. Health comes from aggregates kept as runs settle, so the two should answer alike (goal: the
// large within 1.1× of the small at p50). The 100,000 runs are written straight to the table in the run store's
// layout, with a week of day aggregates as their settles would have left.
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { key } from '../functions/adapters/dynamodb/keys.ts';
import { durationBucket } from '../functions/core/health.ts';
import type { Run } from '../functions/core/run-model.ts';
import { median, percentile } from './lib/processes.ts';
import type { Section } from './lib/report.ts';
import { seedRuns } from './lib/seed-runs.ts';
import { benchService } from './lib/service.ts';
import { DEFAULT_TABLE } from '../local-server/service.ts';

const LARGE = 100_000;
const SMALL = 10;
const SAMPLES = 300;
const round = (ms: number) => Math.round(ms * 10) / 10;

export async function health(): Promise<Section> {
  const s = await benchService('process', 'health');
  const made = async (name: string) => {
    const job = (await s.call('POST', '/jobs', { name, image: 'alpine:3', command: ['true'] })).data.id as string;
    const run = (await s.call('POST', `/jobs/${job}/runs`)).data.id as string;
    return { job, run: (await s.call('GET', `/jobs/${job}/runs/${run}?wait=20`)).data as Run };
  };
  const small = await made('small');
  const large = await made('large');
  const endpoint = s.ready.dynamodb_endpoint as string;
  await seedRuns(endpoint, { ...small.run, status: 'succeeded' }, 'health', SMALL - 1);
  await seedRuns(endpoint, { ...large.run, status: 'succeeded' }, 'health', LARGE - 1);
  await weekOfAggregates(endpoint, large.job, LARGE);

  const status = async (job: string) => {
    const started = performance.now();
    const data = (await s.call('GET', `/jobs/${job}/status`)).data;
    return { ms: performance.now() - started, runs: data.health.runs as number };
  };
  for (let i = 0; i < 50; i++) await Promise.all([status(small.job), status(large.job)]); // warm
  const times = { small: [] as number[], large: [] as number[] };
  let seen = { small: 0, large: 0 };
  for (let i = 0; i < SAMPLES; i++) {
    // In turn, each first half of the time, so neither gains from the other's warm caches.
    for (const which of i % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const)) {
      const answer = await status(which === 'small' ? small.job : large.job);
      times[which].push(answer.ms);
      seen = { ...seen, [which]: answer.runs };
    }
  }
  await s.close();
  const row = (label: string, values: number[], runs: number) => [
    label,
    `${runs.toLocaleString('en')}`,
    `${round(median(values))}`,
    `${round(percentile(values, 99))}`,
  ];
  return {
    title: 'Job health: status at 10 and at 100,000 runs',
    tables: [
      {
        caption: `GET …/jobs/{id}/status with its health, ${SAMPLES} requests each, taken in turn (ms)`,
        head: ['job', 'runs in its health window', 'p50', 'p99'],
        rows: [
          row(`${SMALL} runs`, times.small, seen.small),
          row(`${LARGE.toLocaleString('en')} runs`, times.large, seen.large),
        ],
      },
      {
        caption: 'The large job beside the small (goal ≤ 1.1 at p50)',
        head: ['p50 ratio', 'p99 ratio'],
        rows: [
          [
            (median(times.large) / median(times.small)).toFixed(2),
            (percentile(times.large, 99) / percentile(times.small, 99)).toFixed(2),
          ],
        ],
      },
    ],
  };
}

/** Seven days' aggregates of `runs` settled runs (most succeeded, durations of 1-60 s), as settles write them. */
async function weekOfAggregates(endpoint: string, jobId: string, runs: number): Promise<void> {
  const dynamo = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const perDay = Math.floor(runs / 7);
  const items = Array.from({ length: 7 }, (_, i) => {
    const day = new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10);
    const failed = Math.floor(perDay / 20);
    const durations: Record<string, number> = {};
    for (let k = 0; k < 60; k++) durations[`d${durationBucket((k + 1) * 1000)}`] = Math.floor(perDay / 60);
    return {
      PutRequest: {
        Item: marshall({
          PK: key.job(jobId),
          SK: key.dayStats(day),
          type: 'stats',
          succeeded: perDay - failed,
          failed,
          ...durations,
        }),
      },
    };
  });
  await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [DEFAULT_TABLE]: items } }));
  dynamo.destroy();
}
