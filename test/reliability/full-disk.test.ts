// The data directory on a 40 MB tmpfs that fills up. A run whose output the store can no longer keep still
// settles from its exit status, its log says it was truncated (a marker line, `truncated: true`) instead of
// passing for whole, health answers 503 saying what is wrong and recovers when space returns; a run that ends
// while the service is down on a full disk keeps its exit status for the next start; and a stop on a full disk
// ends in its usual time. Needs root (to mount the tmpfs): skipped, saying so, without it.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeSync,
  openSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOST_MARKER } from '../../functions/adapters/local/log-store.ts';
import { isAlive, spawnService, type ServiceProcess } from '../helpers/process.ts';
import { ApiClient, runPid, waitForStatus, type RunPath } from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';

const P = '/v1/workspaces/acme/projects/disk';
const mount = mkdtempSync(join(tmpdir(), 'jobs-full-disk-'));
const dataDir = join(mount, 'data');
const ballast = join(mount, 'ballast');
const witnessDir = mkdtempSync(join(tmpdir(), 'jobs-full-disk-witness-'));
const mounted = (() => {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', mount], { stdio: 'pipe' });
    mkdirSync(dataDir);
    return null;
  } catch (error) {
    return `mount failed: ${(error as Error).message.split('\n')[0]}`;
  }
})();
if (mounted) console.info(`skipping the full-disk tests: they need a 40 MB tmpfs, and ${mounted}`);

let service: ServiceProcess;
let api: ApiClient;
const start = async () => {
  service = await spawnService({ JOBS_DATA_DIR: dataDir }, 60_000);
  api = new ApiClient(service.ready.url, readFileSync(join(dataDir, 'admin-key'), 'utf8').trim());
};

/** Fills the disk with a ballast file until only `leave` bytes are free (0: until a write fails). */
function fill(leave: number): void {
  const fd = openSync(ballast, 'a');
  const chunk = Buffer.alloc(256 * 1024);
  try {
    for (;;) {
      const { bavail, bsize } = statfsSync(mount);
      const free = bavail * bsize;
      if (free <= leave) return;
      writeSync(fd, chunk, 0, Math.min(chunk.length, Math.max(4096, free - leave)));
    }
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}
const freeSpace = () => rmSync(ballast, { force: true });

beforeAll(async () => {
  if (!mounted) await start();
}, 90_000);
afterAll(async () => {
  freeSpace();
  service?.child.kill('SIGKILL');
  await service?.exited;
  if (!mounted) execFileSync('umount', ['-l', mount]);
  rmSync(mount, { recursive: true, force: true });
  rmSync(witnessDir, { recursive: true, force: true });
});

async function allLines(path: RunPath): Promise<{ lines: string[]; last: { complete: boolean; truncated: boolean } }> {
  const lines: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api.get(`${path}/logs?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status).toBe(200);
    lines.push(...page.body.data.map((l) => l.message));
    const { more, complete = false, truncated = false, next_cursor } = page.body;
    if (!more) return { lines, last: { complete, truncated } };
    cursor = next_cursor ?? undefined;
  }
}

describe.skipIf(mounted !== null)('a full disk', () => {
  it('settles a run from its exit status when its output can no longer be stored, marks the log truncated, and reports the disk in health until space returns', async () => {
    // About 4 MB of output into 6 MB of room, and the store's copy of it as well: the disk fills while the output
    // is written or copied. Which one fills it first is a race, and with it whether the process's own last writes
    // fail (and its `echo` with them), so the process records its exit status off the full disk as a witness.
    const witness = join(witnessDir, 'exit-status');
    const job = (
      await api.post(`${P}/jobs`, {
        name: 'talker',
        image: 'alpine',
        command: `i=0; while [ $i -lt 4000 ]; do printf 'line %04d %01000d\\n' $i 0; i=$((i+1)); done; echo done; rc=$?; echo $rc > ${witness}; exit $rc`,
      })
    ).body.data;
    fill(6 * 1024 * 1024);
    const run = (await api.post(`${P}/jobs/${job.id}/runs`)).body.data;
    const path = `${P}/jobs/${job.id}/runs/${run.id}` as const;
    // The follower gives up on what it cannot store once the run has ended, and says so where a full disk allows.
    await eventually(
      () => existsSync(join(dataDir, 'logs', job.id, `${run.id}.truncated`)),
      'the log marked truncated',
      // A run's processes run at the lowest priority: on a loaded machine its 4 MB take a while to write.
      120_000,
    );
    // Giving up frees the raw files' room: once they are gone (the run has settled), the disk is filled again, to
    // see health say what is wrong.
    const settledFirst = await waitForStatus(api, path, ['succeeded', 'failed', 'cancelled'], 60_000);
    fill(0);
    let health: Awaited<ReturnType<typeof api.get>> | undefined;
    await eventually(
      async () => {
        health = await api.get('/v1/health', { key: null });
        return health.status === 503;
      },
      'health reports the full disk',
      20_000,
    );
    expect(health!.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'storage', message: expect.stringMatching(/disk that is full|does not take writes/) },
      ]),
    );

    const freedAt = Date.now();
    freeSpace();
    await eventually(
      async () => (await api.get('/v1/health', { key: null })).status === 200,
      'health recovers',
      20_000,
    );
    const healthBackMs = Date.now() - freedAt;
    const settled = await waitForStatus(api, path, ['succeeded', 'failed', 'cancelled'], 60_000);
    expect(settled).toEqual(settledFirst);
    const exitCode = Number(readFileSync(witness, 'utf8'));
    expect(settled).toMatchObject({ status: exitCode === 0 ? 'succeeded' : 'failed', exit_code: exitCode });
    expect(settled.started_at).not.toBeNull(); // the start was recorded, though the disk filled as it was written
    const { lines, last } = await eventually(
      async () => (await allLines(path)).lines.some((l) => l.startsWith(LOST_MARKER)),
      'the marker line stored',
      20_000,
    ).then(() => allLines(path));
    expect(last).toMatchObject({ complete: true, truncated: true });
    const kept = lines.filter((l) => l.startsWith('line '));
    // What was kept is a prefix of the output, in order, each line once; the marker says the rest was not.
    expect(kept).toEqual(kept.map((_, i) => `line ${String(i).padStart(4, '0')} ${'0'.repeat(1000)}`));
    expect(kept.length).toBeLessThan(4000);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^\\${LOST_MARKER} \\d+ bytes of attempt 1's output were not kept: the disk was full$`),
    );
    console.info(
      JSON.stringify({
        fault: 'disk full under a run',
        lines_written: 4001,
        lines_kept: kept.length,
        health_back_after_space_ms: healthBackMs,
        status: settled.status,
        exit_code: exitCode,
      }),
    );
  }, 180_000);

  it("keeps a run's exit status through a kill on a full disk, and the next start settles it from it", async () => {
    // It writes on while the disk is full: 'after' still fits in the page its raw file already has.
    const job = (
      await api.post(`${P}/jobs`, {
        name: 'sleeper',
        image: 'alpine',
        command: 'echo before; sleep 2; echo after; exit 0',
      })
    ).body.data;
    const run = (await api.post(`${P}/jobs/${job.id}/runs`)).body.data;
    const path = `${P}/jobs/${job.id}/runs/${run.id}` as const;
    const pid = runPid(await waitForStatus(api, path, ['running'], 20_000));
    await eventually(async () => (await api.get(`${path}/logs`)).body.data.length === 1, 'the first line stored');
    fill(0);
    service.child.kill('SIGKILL');
    await service.exited;
    await eventually(() => !isAlive(pid), 'the sleeper ended on the full disk', 20_000);
    freeSpace();
    await start();
    expect(await waitForStatus(api, path, ['succeeded', 'failed', 'cancelled'], 30_000)).toMatchObject({
      status: 'succeeded',
      exit_code: 0,
    });
    expect((await allLines(path)).lines).toEqual(['before', 'after']);
  }, 120_000);

  it('stops in its usual time on SIGTERM while the disk is full', async () => {
    // A run that writes on while the disk is full, so its output cannot be stored as the service stops.
    const job = (
      await api.post(`${P}/jobs`, {
        name: 'ticker',
        image: 'alpine',
        command: `i=0; while :; do printf 'tick %05d %0500d\\n' $i 0; i=$((i+1)); sleep 0.005; done`,
      })
    ).body.data;
    const run = (await api.post(`${P}/jobs/${job.id}/runs`)).body.data;
    await waitForStatus(api, `${P}/jobs/${job.id}/runs/${run.id}`, ['running'], 20_000);
    fill(0);
    // The disk is full while the run writes on. (Its failed writes are logged at most once a minute, so the log is
    // no sure sign: health is.)
    await eventually(
      async () => (await api.get('/v1/health', { key: null })).status === 503,
      'health reports the full disk',
      45_000,
    );
    expect((await api.get(`${P}/jobs/${job.id}/runs/${run.id}`)).body.data.status).toBe('running');
    const started = Date.now();
    service.child.kill('SIGTERM');
    const code = await service.exited;
    const stopMs = Date.now() - started;
    console.info(JSON.stringify({ fault: 'SIGTERM on a full disk', stop_ms: stopMs, exit_code: code }));
    expect(stopMs).toBeLessThan(20_000);
    freeSpace();
  }, 120_000);
});
