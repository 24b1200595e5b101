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
    if (free < MIN_FREE_BYTES) throw new Error(`${where} is on a disk that is full: ${mebibytes(free)} free of ${mebibytes(blocks * bsize)}`);
    const probe = join(dataDir, '.health-probe');
    try {
      await writeFile(probe, PROBE);
    } catch (error) {
      throw new Error(`${where} does not take writes (${(error as { code?: string }).code ?? (error as Error).message}): ${mebibytes(free)} free`);
    } finally {
      await rm(probe, { force: true }).catch(() => undefined);
    }
  };
}
