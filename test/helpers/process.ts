// The local service as its own process, the way `npm start` runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_DIR } from '../../local-server/service.ts';
import { isAlive } from '../../local-server/data-dir.ts';
export { isAlive };
export { waitUntil } from './wait.ts';

export interface ReadyLine {
  url: string;
  schedules: number;
  runner: string;
  admin_key: string;
  ready_ms: number;
  dynamodb_pid: number;
  dynamodb_endpoint: string;
}

export interface ServiceProcess {
  child: ChildProcess;
  ready: ReadyLine;
  lines: string[];
  exited: Promise<number | null>;
}

export const MAIN = join(PROJECT_DIR, 'local-server', 'main.ts');

/**
 * Starts `node local-server/main.ts` and resolves once it logs that it is ready. With `group`, it leads a process
 * group of its own, as a terminal's foreground job does, so a test can signal the group as Ctrl-C would; with
 * `prefix`, it runs under that command (prlimit with a lower file limit, say).
 */
export function spawnService(
  env: Record<string, string>,
  timeoutMs = 30_000,
  options: { group?: boolean; prefix?: string[] } = {},
): Promise<ServiceProcess> {
  // A prefix runs the service under another command (prlimit, say), which then execs it.
  const [command = process.execPath, ...args] = [...(options.prefix ?? []), process.execPath, MAIN];
  const child = spawn(command, args, {
    cwd: PROJECT_DIR,
    // Host processes unless the test names a container engine: no other test depends on one.
    env: {
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      HOME: process.env.HOME ?? '/tmp',
      PORT: '0',
      LOG_LEVEL: 'INFO',
      JOBS_RUNNER: 'process',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group ?? false,
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not ready within ${timeoutMs} ms:\n${lines.join('\n')}`));
    }, timeoutMs);
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (line.includes('"ready_ms"')) {
          clearTimeout(timer);
          resolve({ child, ready: JSON.parse(line) as ReadyLine, lines, exited });
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before it was ready:\n${lines.join('\n')}`));
    });
  });
}

/** The DynamoDB Local processes running on the data files under `dbPath`. */
export function enginesOn(dbPath: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((arg) => arg.includes('DynamoDBLocal')) && argv.includes(dbPath) && isAlive(Number(name)))
        found.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** The runs among `ids` with a live process, from one pass over /proc. */
export function runsWithProcesses(ids: string[]): Set<string> {
  const found = new Set<string>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    const id = /(?:^|\0)JOBS_RUN_ID=([^\0]+)/.exec(environ)?.[1];
    if (id && ids.includes(id)) found.add(id);
  }
  return found;
}
