// Container runs: trigger → running for runs of the test image on the engine this machine has, beside a bare
// `<engine> run --rm` of the same image and command (the floor), and runs/s for 10 jobs run back to back as
// containers, beside the same with host processes, measured in the same run.
import { spawn } from 'node:child_process';
import { removeImage, testImage } from '../test/helpers/engine.ts';
import { median, percentile } from './lib/processes.ts';
import { benchService } from './lib/service.ts';
import type { Section } from './lib/report.ts';
import { backToBack } from './lib/back-to-back.ts';

const TRIGGERS = 50;
const THROUGHPUT_SECONDS = 15;
const round = (ms: number) => Math.round(ms * 10) / 10;

async function service(runner: string) {
  const started = await benchService(runner, 'containers');
  return {
    ...started,
    job: async (name: string, image: string) =>
      (await started.call('POST', '/jobs', { name, image, command: ['true'] })).data.id as string,
  };
}

/** Runs completed in THROUGHPUT_SECONDS by 10 jobs, each triggered again as soon as its run ended. */
async function throughput(
  s: Awaited<ReturnType<typeof service>>,
  image: string,
): Promise<{ completed: number; perSecond: number }> {
  const jobs = await Promise.all(Array.from({ length: 10 }, (_, i) => s.job(`busy-${i}`, image)));
  return backToBack(s.call, jobs, THROUGHPUT_SECONDS);
}

export async function containers(): Promise<Section> {
  const built = await testImage();
  if ('skip' in built)
    return { title: 'Container runs', tables: [{ caption: `Not measured: ${built.skip}`, head: [''], rows: [] }] };
  const { engine, image } = built;

  const podman = await service(engine.name);
  const trueJob = await podman.job('true', image);
  for (let i = 0; i < 5; i++)
    await podman.call(
      'GET',
      `/jobs/${trueJob}/runs/${(await podman.call('POST', `/jobs/${trueJob}/runs`)).data.id}?wait=20`,
    );
  const latencies: number[] = [];
  for (let i = 0; i < TRIGGERS; i++) {
    const sent = Date.now();
    const run = (await podman.call('POST', `/jobs/${trueJob}/runs`)).data;
    const done = (await podman.call('GET', `/jobs/${trueJob}/runs/${run.id}?wait=20`)).data;
    latencies.push(Date.parse(done.started_at) - sent);
  }
  const bare = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(engine.name, ['run', '--rm', ...engine.hostFlags, image, 'true'], { stdio: 'ignore' });
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${engine.name} run exited ${code}`))));
      child.once('error', reject);
    });
  const floor: number[] = [];
  for (let i = 0; i < TRIGGERS; i++) {
    const started = performance.now();
    await bare();
    floor.push(performance.now() - started);
  }
  // The engine's own ceiling: 10 loops of bare runs for the same time.
  let bareRuns = 0;
  const bareUntil = Date.now() + THROUGHPUT_SECONDS * 1000;
  const bareStarted = performance.now();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (Date.now() < bareUntil) {
        await bare();
        bareRuns++;
      }
    }),
  );
  const barePerSecond = bareRuns / ((performance.now() - bareStarted) / 1000);
  const inContainers = await throughput(podman, image);
  await podman.close();

  const host = await service('process');
  const asProcesses = await throughput(host, image);
  await host.close();
  await removeImage(engine, image);

  return {
    title: 'Container runs: trigger to running, throughput',
    tables: [
      {
        caption: `Trigger → running (ms), ${TRIGGERS} ${engine.name} runs of \`true\` in the test image one after another, beside a bare \`${engine.name} run --rm\` of the same image and command (the floor)`,
        head: ['', 'p50', 'p99', 'max'],
        rows: [
          [
            'trigger → running',
            `${round(median(latencies))}`,
            `${round(percentile(latencies, 99))}`,
            `${round(Math.max(...latencies))}`,
          ],
          [
            `${engine.name} run --rm (floor)`,
            `${round(median(floor))}`,
            `${round(percentile(floor, 99))}`,
            `${round(Math.max(...floor))}`,
          ],
          ['difference at p50 (goal ≤ 50 ms)', `${round(median(latencies) - median(floor))}`, '', ''],
        ],
      },
      {
        caption: `Throughput: 10 jobs, each triggered again as soon as its run finished, for ${THROUGHPUT_SECONDS} s`,
        head: ['runner', 'runs completed', 'runs/s'],
        rows: [
          [engine.name, `${inContainers.completed}`, `${round(inContainers.perSecond)}`],
          ['process', `${asProcesses.completed}`, `${round(asProcesses.perSecond)}`],
          [`bare \`${engine.name} run --rm\` ×10 (the engine's ceiling)`, `${bareRuns}`, `${round(barePerSecond)}`],
        ],
      },
    ],
  };
}
