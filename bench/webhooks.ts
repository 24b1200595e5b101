// Webhook figures, locally: a run's end → its webhook received, beside the floor (the same body POSTed to the
// same receiver from a bare loop), and delivery throughput (1,000 deliveries made at once to a fast receiver).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile, startAndWait, stop } from './lib/processes.ts';
import type { Section } from './lib/report.ts';

const RUNS = 200;
const PROJECTS = 50;
const HOOKS_PER_PROJECT = 20;
const round = (ms: number) => Math.round(ms * 10) / 10;

export async function webhooks(): Promise<Section> {
  const arrivals = new Map<string, number>();
  let count = 0;
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      count++;
      const event = body ? (JSON.parse(body) as { data?: { run?: { id: string } } }) : {};
      if (event.data?.run) arrivals.set(event.data.run.id, performance.timeOrigin + performance.now());
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-webhooks-'));
  const service = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: dir, JOBS_RUNNER: 'process', PORT: '0', JOBS_RATE_LIMIT: 'off' },
    (line) => typeof line.ready_ms === 'number',
  );
  const key = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown) =>
    (await (
      await fetch(`${service.line.url as string}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).json()) as { data: any };

  // Run end → received: one webhook on run.succeeded, runs one after another.
  const P = '/v1/workspaces/bench/projects/latency';
  await call('POST', `${P}/webhooks`, { url: `${url}/latency`, events: ['run.succeeded'] });
  const job = (await call('POST', `${P}/jobs`, { name: 'true', image: 'alpine', command: ['true'] })).data;
  const latencies: number[] = [];
  let sampleBody = '';
  for (let i = 0; i < RUNS; i++) {
    const run = (await call('POST', `${P}/jobs/${job.id}/runs`)).data;
    const finished = (await call('GET', `${P}/jobs/${job.id}/runs/${run.id}?wait=20`)).data;
    while (!arrivals.has(run.id)) await new Promise((resolve) => setTimeout(resolve, 1));
    latencies.push(arrivals.get(run.id)! - Date.parse(finished.finished_at));
    sampleBody ||= JSON.stringify({ id: 'evt_sample', type: 'run.succeeded', data: { run: finished } });
  }
  // The floor: the same body POSTed by a bare loop.
  const floor: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const response = await fetch(`${url}/floor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: sampleBody,
    });
    await response.arrayBuffer();
    floor.push(performance.now() - started);
  }

  // Throughput: 50 projects × 20 webhooks, one run each: 1,000 deliveries made within moments of each other.
  for (let p = 0; p < PROJECTS; p++) {
    const Q = `/v1/workspaces/bench/projects/fan-${p}`;
    for (let h = 0; h < HOOKS_PER_PROJECT; h++)
      await call('POST', `${Q}/webhooks`, { url: `${url}/fan`, events: ['run.succeeded'] });
  }
  const jobs = await Promise.all(
    Array.from({ length: PROJECTS }, async (_, p) => ({
      p,
      job: (
        await call('POST', `/v1/workspaces/bench/projects/fan-${p}/jobs`, {
          name: 'true',
          image: 'alpine',
          command: ['true'],
        })
      ).data,
    })),
  );
  const before = count;
  const started = performance.now();
  await Promise.all(
    jobs.map(({ p, job: j }) => call('POST', `/v1/workspaces/bench/projects/fan-${p}/jobs/${j.id}/runs`)),
  );
  const total = PROJECTS * HOOKS_PER_PROJECT;
  while (count - before < total) await new Promise((resolve) => setTimeout(resolve, 5));
  const seconds = (performance.now() - started) / 1000;

  process.kill(service.line.pid as number, 'SIGTERM');
  await stop(service.child, service.exited);
  receiver.close();
  rmSync(dir, { recursive: true, force: true });

  return {
    title: 'Webhooks: a run’s end → its delivery received, and delivery throughput (local)',
    tables: [
      {
        caption: `Run finished → webhook received (ms), ${RUNS} runs of \`true\` one after another, beside the same body POSTed to the same receiver by a bare loop (the floor)`,
        head: ['', 'p50', 'p99', 'max'],
        rows: [
          [
            'run end → received (goal p50 ≤ 100 ms)',
            `${round(median(latencies))}`,
            `${round(percentile(latencies, 99))}`,
            `${round(Math.max(...latencies))}`,
          ],
          [
            'bare POST (floor)',
            `${round(median(floor))}`,
            `${round(percentile(floor, 99))}`,
            `${round(Math.max(...floor))}`,
          ],
        ],
      },
      {
        caption: `Throughput: ${total} deliveries (${PROJECTS} runs ending together, ${HOOKS_PER_PROJECT} webhooks each) to a receiver answering 204 at once`,
        head: ['deliveries', 'seconds, trigger → last received', 'deliveries/s'],
        rows: [[`${total}`, `${round(seconds)}`, `${Math.round(total / seconds)}`]],
      },
    ],
  };
}
