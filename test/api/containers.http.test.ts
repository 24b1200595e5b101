// Runs as real containers of their image, on the engine this machine has (podman or docker), through the whole
// service: exit codes, env, limits, stops, timeout, a missing image, CPU seconds and metrics from the
// container's cgroup, and no container left behind after any of it. The image is built here from busybox
// with a marker file the host does not have. Without an engine the file is skipped, saying why.
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  points,
  projectPath,
  startTestService,
  waitForStatus,
  type RunPath,
  type TestService,
} from '../helpers/service.ts';
import { removeImage, serviceContainers, testImage, type TestImage } from '../helpers/engine.ts';
import { eventually } from '../helpers/wait.ts';
import { commandLine } from '../../functions/adapters/local/proc.ts';

/** The processes of the engine's client that run the named container (by their command lines, from /proc). */
function runningClients(name: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      const argv = commandLine(pid);
      return Array.isArray(argv) && argv.includes('run') && argv.includes(name) && !argv.includes('/bin/sh');
    });
}

const built = await testImage();
if ('skip' in built) console.info(`container tests skipped: ${built.skip}`);
const P = projectPath('acme', 'containers');
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

describe.skipIf('skip' in built)('runs as containers', () => {
  const { engine, image, marker } = built as TestImage;
  let t: TestService;

  beforeAll(async () => {
    t = await startTestService('containers', { runner: engine.name });
  });
  afterAll(async () => {
    await t?.stop();
    await removeImage(engine, image);
  });
  // Whatever a case did, the engine holds no container of the service afterwards, and no cgroup of a run stays.
  afterEach(async () => {
    await eventually(
      async () => (await serviceContainers(engine)).length === 0,
      'no container of the service left',
      20_000,
    );
    for (const hierarchy of ['/sys/fs/cgroup/cpuacct/jobs', '/sys/fs/cgroup/memory/jobs', '/sys/fs/cgroup/jobs']) {
      if (existsSync(hierarchy))
        await eventually(
          () => readdirSync(hierarchy).filter((n) => n.startsWith('jobs-run_')).length === 0,
          `no run cgroup left in ${hierarchy}`,
          10_000,
        );
    }
  });

  async function start(command: string, spec: Record<string, unknown> = {}, trigger: Record<string, unknown> = {}) {
    const job = (
      await t.api.post(`${P}/jobs`, {
        name: `c-${Math.random().toString(36).slice(2, 10)}`,
        image,
        command: ['sh', '-c', command],
        ...spec,
      })
    ).body.data;
    expect(job?.id, 'job created').toBeTruthy();
    const run = (await t.api.post(`${P}/jobs/${job.id}/runs`, trigger)).body.data;
    return { jobId: job.id as string, path: `${P}/jobs/${job.id}/runs/${run.id}` as const };
  }
  const lines = async (path: RunPath) =>
    (await t.api.get(`${path}/logs`)).body.data.map(
      (l: { stream: string; message: string }) => `${l.stream}: ${l.message}`,
    ) as string[];
  const whenLogged = (path: RunPath, line: string) =>
    eventually(async () => (await lines(path)).includes(line), `${line} logged`, 30_000);

  it('runs the command inside the image, with the env, the overrides and its memory limit, and records its exit code', async () => {
    const ok = await start(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
      'cat /marker; echo "$STAGE $EXTRA $JOBS_ATTEMPT ${JOBS_RUN_ID%%_*}"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null; echo oops >&2',
      { env: { STAGE: 'prod' }, memory_mb: 512 },
      { env: { EXTRA: 'override' } },
    );
    const done = await waitForStatus(t.api, ok.path, TERMINAL, 30_000);
    expect(done).toMatchObject({ status: 'succeeded', exit_code: 0, backend: { runner: engine.name } });
    expect(done.backend.task).toMatch(/^[0-9a-f]{64}$/);
    // Each stream in its order (the two streams are not ordered between them, as on any host).
    const output = await lines(ok.path);
    expect(output.filter((l) => l.startsWith('stdout'))).toEqual([
      `stdout: ${marker}`,
      'stdout: prod override 1 run',
      'stdout: 536870912',
    ]);
    expect(output.filter((l) => l.startsWith('stderr'))).toEqual(['stderr: oops']);
    expect(existsSync('/marker')).toBe(false);

    const failing = await start('exit 3');
    expect(await waitForStatus(t.api, failing.path, TERMINAL, 30_000)).toMatchObject({
      status: 'failed',
      exit_code: 3,
      error: 'exited with code 3',
    });
    const missing = await start('no-such-command');
    expect(await waitForStatus(t.api, missing.path, TERMINAL, 30_000)).toMatchObject({
      status: 'failed',
      exit_code: 127,
    });
  });

  it('gives a job of network none no network: a listener on the host, reached by a public job, cannot be reached', async () => {
    // On every address of the host, loopback included; a public container reaches it through its gateway.
    const listener = createServer((_request, response) => response.end('reached'));
    await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
    const port = (listener.address() as AddressInfo).port;
    const probe = `gw=$(ip route | awk '/default/{print $3}'); printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 \${gw:-127.0.0.1} ${port} | tail -1`;
    try {
      const connected = await start(probe, { network: 'public' });
      expect(await waitForStatus(t.api, connected.path, TERMINAL, 30_000)).toMatchObject({ status: 'succeeded' });
      expect(await lines(connected.path)).toEqual(['stdout: reached']);
      const isolated = await start(`${probe}; exit 1`, { network: 'none' });
      expect(await waitForStatus(t.api, isolated.path, TERMINAL, 30_000)).toMatchObject({ status: 'failed' });
      expect(await lines(isolated.path)).toEqual([expect.stringMatching(/^stderr: nc: .*(unreachable|can't connect)/)]);
    } finally {
      listener.close();
    }
  });

  it('kills a container that goes over its memory limit, and says it ran out of memory', async () => {
    // dd holds its whole 600 MiB block in memory, over the 512 MiB limit.
    const hog = await start('dd if=/dev/zero of=/dev/null bs=600M count=1', { memory_mb: 512 });
    const done = await waitForStatus(t.api, hog.path, TERMINAL, 60_000);
    expect(done).toMatchObject({ status: 'failed', exit_code: 137 });
    expect(done.error).toMatch(/^out of memory/);
  });

  it('delivers SIGTERM inside on a graceful cancel, and kills at once on a force cancel', async () => {
    const graceful = await start("trap 'echo got-term; exit 143' TERM; echo ready; while true; do sleep 0.1; done");
    await whenLogged(graceful.path, 'stdout: ready');
    expect((await t.api.post(`${graceful.path}/cancel`, { mode: 'graceful', timeout_seconds: 20 })).status).toBe(200);
    await eventually(
      async () => (await t.api.get(graceful.path)).body.data.exit_code === 143,
      'the exit status of the stopped container recorded',
      30_000,
    );
    expect(await lines(graceful.path)).toContain('stdout: got-term');
    expect((await t.api.get(graceful.path)).body.data.status).toBe('cancelled');

    const forced = await start("trap 'echo got-term' TERM; echo ready; while true; do sleep 0.1; done");
    await whenLogged(forced.path, 'stdout: ready');
    expect((await t.api.post(`${forced.path}/cancel`, { mode: 'force' })).status).toBe(200);
    await eventually(async () => (await t.api.get(forced.path)).body.data.exit_code === 137, 'killed', 30_000);
    expect(await lines(forced.path)).not.toContain('stdout: got-term');
  });

  it('stops a run whose image is still being pulled: its client goes, and no container is made', async () => {
    // A registry on loopback that takes the connection and never answers: the pull hangs in the client.
    const connected: Socket[] = [];
    const stalling = createNetServer((socket) => connected.push(socket));
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    try {
      const port = (stalling.address() as AddressInfo).port;
      const pulling = await start('echo never', { image: `127.0.0.1:${port}/stall/job:1` });
      await eventually(() => connected.length > 0, 'the client asks the registry', 30_000);
      const name = `jobs-${pulling.path.split('/').at(-1)!.toLowerCase()}-t0-1`;
      const clients = () => runningClients(name);
      expect(clients(), 'the client of the run').toHaveLength(1);
      expect((await t.api.get(pulling.path)).body.data).toMatchObject({ status: 'pending', started_at: null });

      expect((await t.api.post(`${pulling.path}/cancel`, { mode: 'graceful', timeout_seconds: 600 })).status).toBe(200);
      const done = await waitForStatus(t.api, pulling.path, TERMINAL, 30_000);
      expect(done).toMatchObject({ status: 'cancelled', started_at: null, exit_code: null });
      await eventually(() => clients().length === 0, 'its client gone', 10_000);
    } finally {
      for (const socket of connected) socket.destroy();
      stalling.close();
    }
  });

  it('stops and removes the running container of a job that is deleted', async () => {
    const doomed = await start('echo ready; sleep 600');
    await whenLogged(doomed.path, 'stdout: ready');
    expect(await serviceContainers(engine)).toHaveLength(1);
    expect((await t.api.delete(`${P}/jobs/${doomed.jobId}`)).status).toBe(200);
  });

  it('kills a container that runs past its timeout', async () => {
    const slow = await start('echo begun; sleep 600', { timeout_seconds: 2 });
    const done = await waitForStatus(t.api, slow.path, TERMINAL, 60_000);
    expect(done).toMatchObject({ status: 'failed', error: 'timed out' });
    await eventually(
      async () => (await t.api.get(slow.path)).body.data.exit_code === 137,
      'the killed container exit status recorded',
      30_000,
    );
  });

  it('fails a run whose image cannot be pulled at once, with the engine message, without retrying', async () => {
    const started = Date.now();
    const run = await start('true', { image: 'docker.io/library/nope:1', retries: 3 });
    const done = await waitForStatus(t.api, run.path, TERMINAL, 30_000);
    expect(done).toMatchObject({ status: 'failed', attempt: 1, exit_code: null, started_at: null });
    expect(done.error).toMatch(/^image "docker\.io\/library\/nope:1" could not be pulled: \S/);
    // and says what to do on a machine that reaches no registry
    expect(done.error).toMatch(
      /build the image here \(`npm run example-image` builds .*\), or run host processes \(JOBS_RUNNER=process\)$/,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("reports a busy loop's CPU seconds from its cgroup, as its own shell counts them, and its metrics", async () => {
    // Busy for two seconds by the kernel's clock, then the shell's own account of its CPU time.
    const busy = await start(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
      'read s _ </proc/uptime; s=${s%.*}; while read n _ </proc/uptime; [ ${n%.*} -lt $((s + 3)) ]; do :; done; times',
      { cpu: 1, memory_mb: 2048 },
    );
    const done = await waitForStatus(t.api, busy.path, TERMINAL, 60_000);
    expect(done.status).toBe('succeeded');
    // `times`: the shell's user and system time, then its children's.
    const reported = (await lines(busy.path))
      .join(' ')
      .match(/(\d+)m([\d.]+)s/g)!
      .map((d) => Number(d.split('m')[0]) * 60 + Number(d.split('m')[1]!.slice(0, -1)));
    const own = reported.reduce((a, b) => a + b, 0);
    expect(own).toBeGreaterThan(0.5);
    expect(Math.abs((done.usage?.cpu_seconds ?? Number.NaN) - own) / own).toBeLessThan(0.2);
    const metrics = (
      await t.api.get(
        `${P}/jobs/${busy.jobId}/metrics?names=cpu_usage,memory_usage&start=${done.started_at}&end=${done.finished_at}&period=1`,
      )
    ).body.data;
    expect(points(metrics.cpu_usage).length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...points(metrics.cpu_usage))).toBeGreaterThan(0.2);
    expect(Math.max(...points(metrics.memory_usage))).toBeGreaterThan(0);
  });
});
