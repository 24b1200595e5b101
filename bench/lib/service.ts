// A local service for a benchmark: `npm start` on a data directory of its own, on a free port, without rate
// limits, and a client of one project's routes speaking its envelopes with the admin key.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAndWait, stop } from './processes.ts';

export interface BenchService {
  /** The service's own ready line (url, pid, dynamodb_endpoint, …). */
  ready: Record<string, any>;
  /** A project route's envelope (`path` below /v1/workspaces/bench/projects/<project>); a 4xx or 5xx throws. */
  call(method: string, path: string, body?: unknown): Promise<{ data: any; message: string }>;
  close(): Promise<void>;
}

/** `root`: another checkout of the service (an earlier version, for a before/after); `env`: more settings. */
export async function benchService(
  runner: string,
  project: string,
  options: { root?: string; env?: Record<string, string> } = {},
): Promise<BenchService> {
  const dir = mkdtempSync(join(tmpdir(), `jobs-bench-${project}-${runner}-`));
  const started = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: dir, JOBS_RUNNER: runner, PORT: '0', JOBS_RATE_LIMIT: 'off', ...options.env },
    (line) => typeof line.ready_ms === 'number',
    60_000,
    options.root,
  );
  const key = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const P = `${started.line.url as string}/v1/workspaces/bench/projects/${project}`;
  return {
    ready: started.line,
    async call(method, path, body) {
      const response = await fetch(`${P}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const reply = (await response.json()) as { data: any; message: string };
      if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${reply.message}`);
      return reply;
    },
    async close() {
      process.kill(started.line.pid as number, 'SIGTERM');
      await stop(started.child, started.exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
