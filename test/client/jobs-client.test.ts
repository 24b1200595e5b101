// The API client puts ids into request paths: each is checked against its pattern and encoded, so an id taken
// from a console URL or a command line can never turn a call into one for another route.
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ApiError, isActive, JobsClient, nextFires, RUN_STATUSES } from '../../client/jobs-client.ts';

const JOB = 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA';
const RUN = 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H';
const WEBHOOK = 'wh_01JD6R0G2M4S8V1X3Z5B7D9F1H';
const DELIVERY = 'dlv_01JD6R0G2M4S8V1X3Z5B7D9F1H';

/** A client whose requests are recorded, answered with an empty success. */
function recordingClient(workspace = 'acme', project = 'etl'): { client: JobsClient; urls: string[] } {
  const urls: string[] = [];
  const fetch = (async (url: URL | string) => {
    urls.push(String(url));
    return new Response(JSON.stringify({ status: 'success', message: 'ok', data: {} }), { status: 200 });
  }) as typeof globalThis.fetch;
  return { client: new JobsClient({ url: 'http://127.0.0.1:1', key: 'k', workspace, project, fetch }), urls };
}

const HOSTILE = [
  '..',
  '%2e%2e',
  '../../../v1/keys?',
  `${JOB}/../../x`,
  `${JOB}?x=1`,
  `${JOB}#x`,
  '',
  'job_short',
  ` ${JOB}`,
];

describe('the API client', () => {
  it('addresses well-formed ids exactly', async () => {
    const { client, urls } = recordingClient();
    await client.getRun(JOB, RUN);
    await client.redeliver(WEBHOOK, DELIVERY);
    await client.revokeKey('key_admin');
    expect(urls).toEqual([
      `http://127.0.0.1:1/v1/workspaces/acme/projects/etl/jobs/${JOB}/runs/${RUN}`,
      `http://127.0.0.1:1/v1/workspaces/acme/projects/etl/webhooks/${WEBHOOK}/deliveries/${DELIVERY}/redeliver`,
      'http://127.0.0.1:1/v1/keys/key_admin',
    ]);
  });

  it.each(HOSTILE)('refuses the id %j before any request, naming the id', async (id) => {
    const { client, urls } = recordingClient();
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['job_id', () => client.getJob(id)],
      ['run_id', () => client.getRun(JOB, id)],
      ['webhook_id', () => client.getWebhook(id)],
      ['delivery_id', () => client.redeliver(WEBHOOK, id)],
      ['key_id', () => client.revokeKey(id)],
    ];
    for (const [field, call] of calls) {
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).errors).toEqual([{ field, message: expect.stringMatching(/^is not a \w+ id$/) }]);
    }
    expect(urls).toEqual([]);
  });

  it('refuses a workspace or project that is not a slug', async () => {
    for (const [workspace, project, field] of [
      ['..', 'etl', 'workspace'],
      ['acme', 'a/b', 'project'],
      ['ACME', 'etl', 'workspace'],
    ] as const) {
      const { client, urls } = recordingClient(workspace, project);
      const error = await client.listJobs().then(
        () => null,
        (e: unknown) => e,
      );
      expect((error as ApiError).errors[0]?.field).toBe(field);
      expect(urls).toEqual([]);
    }
  });

  it('computes the next fires of a schedule in its time zone, across a change of the clocks', () => {
    // 02:30 does not exist in Berlin on 2026-03-29: that day does not fire, as EventBridge Scheduler has it.
    const fires = nextFires('30 2 * * *', 'Europe/Berlin', 3, new Date('2026-03-27T12:00:00Z'));
    expect(fires.map((d) => d.toISOString())).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('says which statuses are still to finish', () => {
    expect(RUN_STATUSES.filter((status) => isActive({ status }))).toEqual(['pending', 'running']);
  });

  it('fails a call the server never answers, saying so, after its time plus the wait it asked for', async () => {
    const held: Array<() => void> = [];
    const server = createServer((_req, res) => held.push(() => res.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const client = new JobsClient({ url, key: 'k', workspace: 'acme', project: 'etl', timeoutMs: 300 });
      const started = Date.now();
      const error = await client.getJob(JOB).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).message).toBe(
        `GET /v1/workspaces/acme/projects/etl/jobs/${JOB}: no answer from ${url} in 0.3 s`,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      // A held read is given its wait on top.
      const waited = await client.getRun(JOB, RUN, 1).catch((e: unknown) => e);
      expect((waited as ApiError).message).toContain('no answer from');
      expect((waited as ApiError).message).toContain('in 1.3 s');
      // A caller's own abort is still an abort, not a timeout.
      const controller = new AbortController();
      const aborted = client.getRun(JOB, RUN, undefined, controller.signal).catch((e: unknown) => e);
      controller.abort();
      expect(((await aborted) as Error).name).toBe('AbortError');
    } finally {
      for (const end of held) end();
      server.close();
    }
  });
});
