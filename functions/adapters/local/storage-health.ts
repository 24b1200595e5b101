// Whether the data directory can take what the service writes there (run output, metric samples, DynamoDB
// Local's files): its disk's free space, and a small write made and removed. For GET /v1/health.
import { statfsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Below this much free space the service reports its storage as failing: writes are about to. */
export const MIN_FREE_BYTES = 1024 * 1024;
const PROBE = Buffer.alloc(4096, 0x20);

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function storageHealthCheck(dataDir: string): () => Promise<void> {
  return async () => {
    const { bavail, bsize, blocks } = statfsSync(dataDir);
    const free = bavail * bsize;
    const where = `the data directory ${dataDir}`;
    if (free < MIN_FREE_BYTES)
      throw new Error(`${where} is on a disk that is full: ${mebibytes(free)} free of ${mebibytes(blocks * bsize)}`);
    const probe = join(dataDir, '.health-probe');
    try {
      await writeFile(probe, PROBE);
    } catch (error) {
      throw new Error(
        `${where} does not take writes (${(error as { code?: string }).code ?? (error as Error).message}): ${mebibytes(free)} free`,
      );
    } finally {
      await rm(probe, { force: true }).catch(() => undefined);
    }
  };
}

/**
 * A check answered from its last result while that is fresh, or while a newer one is on its way: health then
 * answers at once even when the check itself waits in line (a write behind a burst of 500 triggers waits for
 * DynamoDB Local's write lock), and says so when no check has come back for `stuckMs`.
 */
export function lastKnown(
  check: () => Promise<void>,
  options: { freshMs?: number; stuckMs?: number } = {},
): () => Promise<void> {
  const freshMs = options.freshMs ?? 1_000;
  const stuckMs = options.stuckMs ?? 10_000;
  let last: { error: Error | null; at: number } | undefined;
  let since: number | undefined;
  let pending: Promise<void> | undefined;
  const answer = () => {
    if (last?.error) throw last.error;
  };
  return async () => {
    const now = Date.now();
    if (last && now - last.at < freshMs) return answer();
    if (!pending) {
      since = now;
      const record = (error: Error | null) => {
        last = { error, at: Date.now() };
        pending = undefined;
      };
      pending = check().then(() => record(null), record);
    }
    if (!last) await pending;
    else if (now - (since ?? now) > stuckMs)
      throw new Error(`no check has come back in ${Math.round((now - (since ?? now)) / 1000)} s`);
    return answer();
  };
}
