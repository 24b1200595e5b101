// The local data directory: created private to the user, and held by one service at a time.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Takes the data directory for this process; throws when a live service already holds it. */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = join(dataDir, 'service.pid');
  const holder = readPid(lock);
  if (holder !== null && holder !== process.pid && isAlive(holder)) {
    throw new Error(`${dataDir} is in use by another jobs service (pid ${holder}); stop it or set JOBS_DATA_DIR`);
  }
  writeFileSync(lock, String(process.pid));
  return () => {
    if (readPid(lock) === process.pid) rmSync(lock, { force: true });
  };
}

/**
 * Waits for an engine a previous service left behind (killed with SIGKILL) to notice and exit, so two engines
 * never share the data files; kills it if it lingers.
 */
export async function reapPreviousEngine(pidFile: string): Promise<void> {
  const pid = readPid(pidFile);
  if (pid === null) return;
  for (let waited = 0; waited < 3_000 && isAlive(pid); waited += 100) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) {
    const cmdline = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    })();
    if (cmdline.includes('DynamoDBLocal')) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}
