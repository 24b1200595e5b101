// The first admin key in local mode: JOBS_ADMIN_KEY when set, otherwise <data dir>/admin-key, generated on the
// first start (mode 0600) and read on every start after. Only its hash reaches the service.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSecret } from '../../functions/core/keys.ts';

export interface AdminKey {
  secret: string;
  /** Where it came from: the file's path, or the environment variable's name. */
  source: string;
}

export function loadAdminKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): AdminKey {
  const fromEnv = env.JOBS_ADMIN_KEY?.trim();
  if (fromEnv) return { secret: fromEnv, source: 'JOBS_ADMIN_KEY' };
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
