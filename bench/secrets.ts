// Secrets: what reading a job's secrets as each attempt starts costs. Trigger → running of a job with two secrets
// (one a key of a JSON value) beside the same job with none, alternated run by run in one service, on host
// processes and on the container engine this machine has (podman gives each secret to the container as an engine
// secret, made before and removed after it).
import { removeImage, testImage } from '../test/helpers/engine.ts';
import { median, percentile } from './lib/processes.ts';
import { benchService } from './lib/service.ts';
import type { Section } from './lib/report.ts';

const RUNS = 30;
const round = (ms: number) => Math.round(ms * 10) / 10;

async function measure(runner: string, image: string): Promise<{ none: number[]; two: number[] }> {
  const service = await benchService(runner, 'secrets');
  const call = async (method: string, path: string, body?: unknown) => (await service.call(method, path, body)).data;
  try {
    await call('PUT', '/secrets/db-password', { value: 'correct horse battery staple' });
    await call('PUT', '/secrets/vendor', { value: JSON.stringify({ token: 'tok-0123456789' }) });
    const job = async (name: string, secrets: Record<string, string>) =>
      (await call('POST', '/jobs', { name, image, command: ['true'], secrets })).id as string;
    const plain = await job('none', {});
    const withSecrets = await job('two', { DB_PASSWORD: 'db-password', API_TOKEN: 'vendor#token' });
    const once = async (jobId: string) => {
      const sent = Date.now();
      const run = await call('POST', `/jobs/${jobId}/runs`);
      const done = await call('GET', `/jobs/${jobId}/runs/${run.id as string}?wait=20`);
      if (done.status !== 'succeeded')
        throw new Error(`a bench run ended ${String(done.status)}: ${String(done.error)}`);
      return Date.parse(done.started_at as string) - sent;
    };
    for (let i = 0; i < 3; i++) {
      await once(plain); // warm up
      await once(withSecrets);
    }
    const none: number[] = [];
    const two: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      none.push(await once(plain));
      two.push(await once(withSecrets));
    }
    return { none, two };
  } finally {
    await service.close();
  }
}

export async function secrets(): Promise<Section> {
  const built = await testImage();
  const rows: string[][] = [];
  const add = (runner: string, { none, two }: { none: number[]; two: number[] }) => {
    for (const [label, values] of [
      ['no secrets', none],
      ['two secrets', two],
    ] as const)
      rows.push([runner, label, `${round(median(values))}`, `${round(percentile(values, 99))}`]);
    rows.push([runner, 'overhead (p50)', `${round(median(two) - median(none))}`, '']);
  };
  add('process', await measure('process', 'alpine'));
  const notes: string[] = [];
  if ('skip' in built) notes.push(`Containers not measured: ${built.skip}`);
  else {
    add(built.engine.name, await measure(built.engine.name, built.image));
    await removeImage(built.engine, built.image);
  }
  return {
    title: 'Secrets: run start overhead',
    tables: [
      {
        caption: `Trigger → running (ms) of a job with two secrets (one name#key) beside the same job with none, ${RUNS} runs each, alternated, one service per runner`,
        head: ['runner', 'job', 'p50', 'p99'],
        rows,
      },
    ],
    notes,
  };
}
