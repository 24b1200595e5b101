// Container runs: trigger → running for runs of the test image on the engine this machine has, beside a bare
// `<engine> run --rm` of the same image and command (the floor), and runs/s for 10 jobs run back to back as
// containers, beside the same with host processes and beside the engine's own ceiling (10 loops of bare runs),
// measured in the same run, with the CPU each run costs the machine and the service itself: on a machine the
// runs and the service share, the service's own work per run bounds how near the ceiling runs can come.
import { spawn } from 'node:child_process';
import { removeImage, testImage } from '../test/helpers/engine.ts';
import { cpuSeconds, machineBusySeconds, median, percentile } from './lib/processes.ts';
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

interface Throughput {
  completed: number;
  perSecond: number;
  /** CPU milliseconds per completed run: the whole machine's, and the service's own (node and DynamoDB Local). */
  machineMs: number;
  serviceMs: number | null;
}

/** Runs completed in THROUGHPUT_SECONDS by 10 jobs, each triggered again as soon as its run ended. */
async function throughput(s: Awaited<ReturnType<typeof service>>, image: string): Promise<Throughput> {
  const jobs = await Promise.all(Array.from({ length: 10 }, (_, i) => s.job(`busy-${i}`, image)));
  await backToBack(s.call, jobs, 2); // warm
  const own = () => cpuSeconds(s.ready.pid as number) + cpuSeconds(s.ready.dynamodb_pid as number);
  const [machine, service] = [machineBusySeconds(), own()];
  const done = await backToBack(s.call, jobs, THROUGHPUT_SECONDS);
  const perRun = (seconds: number) => (seconds * 1000) / Math.max(1, done.completed);
  return { ...done, machineMs: perRun(machineBusySeconds() - machine), serviceMs: perRun(own() - service) };
}

function row(runner: string, measured: Throughput): string[] {
  return [
    runner,
    `${measured.completed}`,
    `${round(measured.perSecond)}`,
    `${Math.round(measured.machineMs)}`,
    measured.serviceMs === null ? '' : `${Math.round(measured.serviceMs)}`,
  ];
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
  const bareBusy = machineBusySeconds();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (Date.now() < bareUntil) {
        await bare();
        bareRuns++;
      }
    }),
  );
  const barePerSecond = bareRuns / ((performance.now() - bareStarted) / 1000);
  const bareMs = ((machineBusySeconds() - bareBusy) * 1000) / bareRuns;
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
        caption: `Throughput: 10 jobs, each triggered again as soon as its run finished, for ${THROUGHPUT_SECONDS} s (a container run is one \`${engine.name} run\`; ended containers are removed in batches), with the CPU each run cost the machine and the service's own processes`,
        head: ['runner', 'runs completed', 'runs/s', 'machine CPU ms per run', 'service CPU ms per run'],
        rows: [
          row(engine.name, inContainers),
          row('process', asProcesses),
          [
            `bare \`${engine.name} run --rm\` ×10 (the engine's ceiling)`,
            `${bareRuns}`,
            `${round(barePerSecond)}`,
            `${Math.round(bareMs)}`,
            '',
          ],
        ],
      },
      {
        caption: `Container runs/s beside the engine's ceiling (goal ≥ 0.9). The bound is what this machine allows while the service's own CPU per run (node and DynamoDB Local) shares its cores with the engine: ceiling's CPU per run / (ceiling's + the service's)`,
        head: ['runs/s ÷ ceiling', 'bound on this machine'],
        rows: [
          [
            (inContainers.perSecond / barePerSecond).toFixed(2),
            inContainers.serviceMs === null ? '' : (bareMs / (bareMs + inContainers.serviceMs)).toFixed(2),
          ],
        ],
      },
    ],
  };
}
