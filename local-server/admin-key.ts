// The first admin key in local mode: JOBS_ADMIN_KEY when set, otherwise <data dir>/admin-key, generated on the
// first start (mode 0600) and read on every start after. Only its hash reaches the service.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSecret } from '../functions/core/keys.ts';

export interface AdminKey {
  secret: string;
  /** Where it came from: the file's path, or the environment variable's name. */
  source: string;
}

/** `configured`: JOBS_ADMIN_KEY's value, when set. */
export function loadAdminKey(dataDir: string, configured: string | undefined): AdminKey {
  if (configured) return { secret: configured, source: 'JOBS_ADMIN_KEY' };
  const file = join(dataDir, 'admin-key');
  try {
    return { secret: readFileSync(file, 'utf8').trim(), source: file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = generateSecret();
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, source: file };
}
