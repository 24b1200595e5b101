// Hardening figures: what a flood of connections, a run's output and hostile reads cost the local service.
// - the connections it held when it began to refuse new ones under a file limit of 2048, and that it stayed up;
// - the bytes on disk per MiB of a run's output, for short and long lines, and for a 100 MB flood under the cap;
// - health's latency (p50/p99) while 30 reader-key clients page a filter through a 10 MiB log, and while 500
//   triggers arrive at once, beside health on the idle service.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLogStore } from '../functions/adapters/local/log-store.ts';
import { MAIN } from '../test/helpers/process.ts';
import { floodSockets } from '../test/helpers/socket-flood.ts';
import { eventually } from '../test/helpers/wait.ts';
import { isAlive, percentile, startAndWait, stop } from './lib/processes.ts';
import type { Section } from './lib/report.ts';

const P = '/v1/workspaces/acme/projects/hardening';
const MiB = 1024 * 1024;

interface Service {
  url: string;
  key: string;
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
}

async function startService(prefix: string[] = []): Promise<Service> {
  const dataDir = mkdtempSync(join(tmpdir(), 'jobs-bench-hardening-'));
  const [command = process.execPath, ...args] = [...prefix, process.execPath, MAIN];
  const started = await startAndWait(
    command,
    args,
    { JOBS_DATA_DIR: dataDir, PORT: '0', JOBS_RUNNER: 'process', JOBS_RATE_LIMIT: 'off', LOG_LEVEL: 'INFO' },
    (line) => 'ready_ms' in line,
  );
  return {
    url: started.line.url,
    key: readFileSync(join(dataDir, 'admin-key'), 'utf8').trim(),
    pid: started.child.pid!,
    dataDir,
    stop: async () => {
      await stop(started.child, started.exited);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function call(
  service: Service,
  method: string,
  path: string,
  body?: unknown,
  key: string | null = service.key,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: await response.json() };
}

/** Until the condition holds (two minutes unless said otherwise), looking every 100 ms. */
const waitFor = (condition: () => Promise<boolean>, what: string, timeoutMs = 120_000) =>
  eventually(condition, what, timeoutMs, 100);

async function settledRun(service: Service, jobId: string, runId: string): Promise<any> {
  let run: any;
  await waitFor(async () => {
    run = (await call(service, 'GET', `${P}/jobs/${jobId}/runs/${runId}`)).body.data;
    return ['succeeded', 'failed', 'cancelled'].includes(run.status);
  }, `run ${runId} settled`);
  return run;
}

/** GETs a path every `everyMs` until `done`, and returns the latencies in ms. */
async function probe(
  service: Service,
  path: string,
  done: Promise<unknown>,
  everyMs = 20,
  key: string | null = null,
): Promise<number[]> {
  const latencies: number[] = [];
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    const started = performance.now();
    await call(service, 'GET', path, undefined, key);
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return latencies;
}

const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
const spread = (values: number[]) => `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}`;

async function connectionFlood(): Promise<string[][]> {
  const limit = 2048;
  const service = await startService(['prlimit', `--nofile=${limit}:${limit}`, '--']);
  try {
    const flood = await floodSockets(Number(new URL(service.url).port), limit + 1000);
    // Until the server has taken every waiting connection from its queue: then what is open, it holds.
    await waitFor(
      async () => flood.refused + flood.open() === flood.opened && flood.open() <= limit / 2,
      'every connection held or refused',
      30_000,
    );
    const held = flood.open();
    const descriptors = readdirSync(`/proc/${service.pid}/fd`).length;
    const alive = isAlive(service.pid);
    flood.stop();
    const stopped = performance.now();
    await waitFor(
      async () =>
        (await call(service, 'GET', '/v1/health', undefined, null).catch(() => ({ status: 0 }))).status === 200,
      'health after the flood',
      30_000,
    );
    return [
      [
        `${flood.opened} slow-header connections, file limit ${limit}`,
        `${held} held (half the limit), ${flood.refused} refused at once`,
        `${descriptors} open in all`,
        alive ? `up; health 200 ${ms(performance.now() - stopped)} after the flood` : 'DOWN',
      ],
    ];
  } finally {
    await service.stop();
  }
}

/** The store's bytes on disk for 8 MiB of output of each line length (under a cap it does not reach). */
async function bytesOnDisk(): Promise<string[][]> {
  const rows: string[][] = [];
  for (const [name, line] of [
    ['1-byte lines (`yes`)', 'y\n'],
    ['100-byte lines', `${'x'.repeat(99)}\n`],
    ['1000-byte lines', `${'x'.repeat(999)}\n`],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-bytes-'));
    try {
      const logs = new LocalLogStore(dir, { maxRunBytes: 1024 * MiB });
      const raw = { stdout: join(dir, 'out'), stderr: join(dir, 'err') };
      const output = line.repeat(Math.floor((8 * MiB) / line.length));
      writeFileSync(raw.stdout, output);
      writeFileSync(raw.stderr, '');
      await (await logs.follow('job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA', 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H', raw, '1')).stop();
      const stored = statSync(
        join(dir, 'logs', 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA', 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H.jsonl'),
      ).size;
      rows.push([
        name,
        `${(stored / (output.length / MiB) / MiB).toFixed(2)} MiB per MiB`,
        `${(stored / (output.length / line.length)).toFixed(1)} bytes a line`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

/** A 100 MB flood through a real run: what its log takes on disk under the 10 MiB cap. */
async function floodOnDisk(service: Service): Promise<string[]> {
  const job = (
    await call(service, 'POST', `${P}/jobs`, { name: 'yes-flood', image: 'alpine', command: 'yes | head -c 100000000' })
  ).body.data;
  const run = (await call(service, 'POST', `${P}/jobs/${job.id}/runs`)).body.data;
  await settledRun(service, job.id, run.id);
  const stored = statSync(join(service.dataDir, 'logs', job.id, `${run.id}.jsonl`)).size;
  return [
    '`yes` piped to `head -c 100000000` through a run (1-byte lines), cap 10 MiB',
    `${(stored / MiB).toFixed(2)} MiB on disk in all`,
    '(earlier: 886 MB)',
  ];
}

async function filteredReads(service: Service, idle: number[]): Promise<string[][]> {
  // A 10 MiB log: 100-byte lines up to the cap.
  const job = (
    await call(service, 'POST', `${P}/jobs`, {
      name: 'talker',
      image: 'alpine',
      command: `yes "$(printf '%099d' 0)" | head -c 20000000`,
    })
  ).body.data;
  const run = (await call(service, 'POST', `${P}/jobs/${job.id}/runs`)).body.data;
  await settledRun(service, job.id, run.id);
  const reader = (
    await call(service, 'POST', '/v1/keys', { name: 'bench-reader', role: 'reader', workspaces: ['acme'] })
  ).body.data.secret as string;
  const path = `${P}/jobs/${job.id}/runs/${run.id}/logs?filter=no-such-text&limit=100`;
  const passes: number[] = [];
  let reads = 0;
  const deadline = Date.now() + 20_000;
  const clients = Array.from({ length: 30 }, async () => {
    while (Date.now() < deadline) {
      // One whole filtered pass over the log, read after read by cursor, as a client pages it.
      const started = performance.now();
      let cursor: string | undefined;
      for (;;) {
        const page = await call(
          service,
          'GET',
          `${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          undefined,
          reader,
        );
        reads++;
        if (!page.body.more) break;
        cursor = page.body.next_cursor;
      }
      passes.push(performance.now() - started);
    }
  });
  const all = Promise.all(clients);
  const [health, gets] = await Promise.all([
    probe(service, '/v1/health', all),
    probe(service, `${P}/jobs/${job.id}`, all, 20, service.key),
  ]);
  const stored = statSync(join(service.dataDir, 'logs', job.id, `${run.id}.jsonl`)).size;
  return [
    ['idle service', spread(idle), '', ''],
    [
      `30 reader clients paging filter= through a ${(stored / MiB).toFixed(1)} MiB log for 20 s`,
      spread(health),
      spread(gets),
      `${passes.length} whole passes (median ${ms(percentile(passes, 50))}), ${reads} reads; earlier: one core held 8 min, health p50 154 ms`,
    ],
  ];
}

async function triggerBurst(service: Service): Promise<string[]> {
  const job = (await call(service, 'POST', `${P}/jobs`, { name: 'burst', image: 'alpine', command: 'true' })).body.data;
  const triggers = Array.from({ length: 500 }, () => call(service, 'POST', `${P}/jobs/${job.id}/runs`, {}));
  const accepted = Promise.all(triggers);
  const [health, gets] = await Promise.all([
    probe(service, '/v1/health', accepted, 10),
    probe(service, `${P}/jobs/${job.id}`, accepted, 10, service.key),
  ]);
  const statuses = (await accepted).map((r) => r.status);
  const runs = (await accepted).map((r) => r.body.data?.id).filter(Boolean);
  await waitFor(
    async () => {
      const { counts } = (await call(service, 'GET', `${P}/jobs/${job.id}/status`)).body.data;
      return counts.pending + counts.running === 0;
    },
    'the burst settled',
    300_000,
  );
  return [
    '500 triggers at once',
    spread(health),
    spread(gets),
    `${statuses.filter((s) => s === 202).length} accepted, ${runs.length} runs; earlier: health 1.8–4.4 s, GET job 3.6 s`,
  ];
}

export async function hardening(): Promise<Section> {
  const floodRows = await connectionFlood();
  const diskRows = await bytesOnDisk();
  const service = await startService();
  let readRows: string[][];
  let burst: string[];
  let flood: string[];
  try {
    // Warm, then the idle service's health.
    for (let i = 0; i < 50; i++) await call(service, 'GET', '/v1/health', undefined, null);
    const idle: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await call(service, 'GET', '/v1/health', undefined, null);
      idle.push(performance.now() - started);
    }
    flood = await floodOnDisk(service);
    readRows = await filteredReads(service, idle);
    burst = await triggerBurst(service);
  } finally {
    await service.stop();
  }
  return {
    title: 'Hardening: connections, output on disk, hostile reads (npm run bench -- hardening)',
    tables: [
      {
        caption: 'A flood of connections that never finish their headers',
        head: ['flood', 'held / refused', 'service descriptors', 'service'],
        rows: floodRows,
      },
      {
        caption: "A run's output on disk (records of one read each; the cap counts these bytes)",
        head: ['output', 'on disk', 'per line'],
        rows: [...diskRows, flood],
      },
      {
        caption: 'Latency of health (no key) and GET job (p50 / p99) under hostile reads and a burst of triggers',
        head: ['load', 'health p50 / p99', 'GET job p50 / p99', 'work done'],
        rows: [...readRows, burst],
      },
    ],
  };
}
