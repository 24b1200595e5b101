// The local data directory: created private to the user, and held by one service at a time. The hold is a
// socket the kernel owns: bound while the service lives, released the moment its process ends (killed,
// crashed, or a zombie nobody has reaped yet), so no pid file can outlive its holder or name a reused pid.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';

import { commandLine, isRunning } from '../functions/adapters/local/proc.ts';

/** Whether a process is running: not gone, and not a zombie waiting to be reaped. */
export const isAlive = isRunning;

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

/** What the holder of a data directory says about itself to a service that wants it. */
interface Holder {
  pid: number;
  state: 'running' | 'stopping';
}

export interface DataDirLock {
  /** The holder is stopping: a new service may wait for it instead of refusing. */
  stopping(): void;
  release(): Promise<void>;
}

/**
 * Linux: an abstract socket, named after the directory, which vanishes with its holder. Elsewhere: a socket file
 * in the directory, taken over when nothing answers on it.
 */
function lockAddress(dataDir: string): { path: string; file: string | null } {
  const digest = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 32);
  if (process.platform === 'linux') return { path: `\0jobs-service/${digest}`, file: null };
  const file = join(dataDir, 'service.sock');
  return { path: file, file };
}

function ask(path: string): Promise<Holder | null> {
  return new Promise((resolve) => {
    const socket = connect(path);
    let text = '';
    const done = (holder: Holder | null) => {
      socket.destroy();
      resolve(holder);
    };
    socket.setTimeout(2_000, () => done(null));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      if (!text.includes('\n')) return;
      try {
        done(JSON.parse(text) as Holder);
      } catch {
        done(null);
      }
    });
    socket.on('error', () => done(null));
    socket.on('end', () => done(null));
  });
}

function bind(path: string, holder: () => Holder): Promise<Server | 'in-use'> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.end(`${JSON.stringify(holder())}\n`));
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve('in-use') : reject(error),
    );
    server.listen(path, () => {
      server.unref(); // holding the directory never keeps the process alive by itself
      resolve(server);
    });
  });
}

export interface LockOptions {
  /** How long to wait for a holder that is stopping. */
  waitMs?: number;
  onWait?: (holder: Holder) => void;
}

/**
 * Takes the data directory for this process. A holder that is stopping is waited for (bounded); a running one
 * is refused at once with its pid.
 */
export async function lockDataDir(dataDir: string, options: LockOptions = {}): Promise<DataDirLock> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const address = lockAddress(dataDir);
  let state: Holder['state'] = 'running';
  const deadline = Date.now() + (options.waitMs ?? 60_000);
  let told = false;
  for (;;) {
    const server = await bind(address.path, () => ({ pid: process.pid, state }));
    if (server !== 'in-use') {
      return {
        stopping: () => {
          state = 'stopping';
        },
        release: () => new Promise((resolve) => server.close(() => resolve())),
      };
    }
    const holder = await ask(address.path);
    if (holder === null) {
      // Nobody answers: the holder has just gone (an abstract name is free again at once), or a socket file is stale.
      if (address.file) rmSync(address.file, { force: true });
      await pause(20);
      continue;
    }
    if (holder.state === 'running') {
      throw new DataDirInUseError(
        `${dataDir} is in use by another jobs service (pid ${holder.pid}); stop it or set JOBS_DATA_DIR`,
      );
    }
    if (Date.now() > deadline) {
      throw new DataDirInUseError(
        `${dataDir} is still held by a jobs service that is stopping (pid ${holder.pid}); try again once it has stopped`,
      );
    }
    if (!told) options.onWait?.(holder);
    told = true;
    await pause(50);
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Whether the process is DynamoDB Local on these data files (pids are reused: the command line must say so). */
function isEngineOf(pid: number, dbPath: string): boolean {
  const argv = commandLine(pid);
  return Array.isArray(argv) && argv.some((arg) => arg.includes('DynamoDBLocal')) && argv.includes(dbPath);
}

/**
 * Waits for an engine a previous service left behind to notice its service is gone and exit (it does so when its
 * stdin closes), so two engines never share the data files; kills it if it lingers. The engine also holds a lock
 * on its files, so even an engine this misses could not run beside a new one.
 */
export async function reapPreviousEngine(pidFile: string, dbPath: string): Promise<void> {
  const pid = readPid(pidFile);
  if (pid === null) return;
  for (let waited = 0; waited < 3_000 && isAlive(pid) && isEngineOf(pid, dbPath); waited += 50) await pause(50);
  if (isAlive(pid) && isEngineOf(pid, dbPath)) process.kill(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
}
