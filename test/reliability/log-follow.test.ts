// Following a run's log by cursor while it writes 10,000 numbered lines on stdout and stderr over about five
// seconds: three followers from the start, one started midway and all of them carried across a service that is
// killed and started again. Each must see every line exactly once, in order within its stream, and end on
// `complete`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnService, type ServiceProcess } from '../helpers/process.ts';
import { ApiClient, waitForStatus } from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'jobs-follow-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const P = '/v1/workspaces/acme/projects/follow';
const PER_STREAM = 5000;
// 100 lines on each stream, then a tenth of a second: 10,000 lines in about five seconds.
const WRITER = `i=0; while [ $i -lt ${PER_STREAM} ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); if [ $((i % 100)) -eq 0 ]; then sleep 0.1; fi; done`;

interface Follower {
  name: string;
  lines: Array<{ stream: string; message: string }>;
  requests: number;
  done: Promise<void>;
}

describe('following a run by cursor', () => {
  it('gives each follower every line exactly once, in order per stream, across a restart, ending complete', async () => {
    const env = { JOBS_DATA_DIR: dataDir };
    let service: ServiceProcess = await spawnService(env, 30_000);
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    let url = service.ready.url;
    const admin = () => new ApiClient(url, key);
    try {
      const job = (await admin().post(`${P}/jobs`, { name: 'numbered', image: 'alpine', command: WRITER })).body.data;
      const run = (await admin().post(`${P}/jobs/${job.id}/runs`)).body.data;
      const logs = `${P}/jobs/${job.id}/runs/${run.id}/logs` as const;
      // Each follower has its own key, as separate clients would (and so its own rate limit).
      const readerKey = async () =>
        (await admin().post('/v1/keys', { name: 'follower', role: 'reader', workspaces: ['acme'] })).body.data
          .secret as string;
      let restarting: Promise<void> | undefined;

      const follow = (name: string, followerKey: string): Follower => {
        const follower: Follower = { name, lines: [], requests: 0, done: Promise.resolve() };
        follower.done = (async () => {
          let cursor: string | undefined;
          for (;;) {
            let response: Awaited<ReturnType<ApiClient['get']>>;
            try {
              follower.requests++;
              response = await new ApiClient(url, followerKey).get(
                `${logs}?limit=1000&wait=20${cursor ? `&cursor=${cursor}` : ''}`,
              );
            } catch (error) {
              // The service is being restarted: ask the new one, with the same cursor.
              if (!restarting) throw error;
              await restarting;
              continue;
            }
            if (response.status === 429) {
              await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after')) * 1000));
              continue;
            }
            expect(response.status, JSON.stringify(response.body)).toBe(200);
            follower.lines.push(...(response.body.data as Follower['lines']));
            cursor = response.body.next_cursor as string;
            if (response.body.complete) return;
          }
        })();
        return follower;
      };

      const followers = [
        follow('first', await readerKey()),
        follow('second', await readerKey()),
        follow('third', await readerKey()),
      ];
      await waitForStatus(admin(), `${P}/jobs/${job.id}/runs/${run.id}`, ['running']);
      await eventually(() => followers[0]!.lines.length >= 3000, 'the first follower 3,000 lines in', 30_000);
      followers.push(follow('midway', await readerKey()));

      // Killed outright, so the run goes on without it; the next service re-attaches it and keeps storing its output.
      await eventually(() => followers[0]!.lines.length >= 5000, 'the first follower half-way', 30_000);
      let restarted!: () => void;
      restarting = new Promise((resolve) => (restarted = resolve));
      service.child.kill('SIGKILL');
      await service.exited;
      // Mid-way for every follower: none has all the lines yet.
      for (const follower of followers) expect(follower.lines.length, follower.name).toBeLessThan(2 * PER_STREAM);
      service = await spawnService(env, 60_000);
      url = service.ready.url;
      restarted();

      await Promise.all(followers.map((f) => f.done));
      const finished = (await admin().get(`${P}/jobs/${job.id}/runs/${run.id}`)).body.data;
      expect(finished.status).toBe('succeeded');
      for (const follower of followers) {
        for (const stream of ['stdout', 'stderr']) {
          const prefix = stream === 'stdout' ? 'out' : 'err';
          const seen = follower.lines.filter((l) => l.stream === stream).map((l) => l.message);
          expect(seen, `${follower.name} on ${stream}`).toEqual(
            Array.from({ length: PER_STREAM }, (_, i) => `${prefix} ${i}`),
          );
        }
        expect(follower.lines, follower.name).toHaveLength(2 * PER_STREAM);
      }
      // A follower waits for lines rather than asking again and again: far fewer requests than lines.
      for (const follower of followers) expect(follower.requests, follower.name).toBeLessThan((2 * PER_STREAM) / 10);
    } finally {
      service.child.kill('SIGKILL');
      await service.exited;
    }
  });
});
