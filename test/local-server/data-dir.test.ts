// The hold on a data directory: kernel-owned, so it is free the moment its holder's process ends, even while
// that process is a zombie nobody has reaped; a holder that is stopping is waited for, a running one refused.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirInUseError, isAlive, lockDataDir } from '../../local-server/data-dir.ts';
import { PROJECT_DIR } from '../../local-server/service.ts';
import { eventually } from '../helpers/wait.ts';

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-hold-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the hold on a data directory', () => {
  it('refuses a second holder while the first runs, naming its pid', async () => {
    const dir = dataDir();
    const lock = await lockDataDir(dir);
    await expect(lockDataDir(dir)).rejects.toThrow(
      new DataDirInUseError(
        `${dir} is in use by another jobs service (pid ${process.pid}); stop it or set JOBS_DATA_DIR`,
      ),
    );
    await lock.release();
    await (await lockDataDir(dir)).release();
  });

  it('waits for a holder that is stopping, and takes the directory the moment it lets go', async () => {
    const dir = dataDir();
    const lock = await lockDataDir(dir);
    lock.stopping();
    let waitedFor: number | undefined;
    let taken = false;
    const next = lockDataDir(dir, {
      onWait: (holder) => {
        waitedFor = holder.pid;
      },
    }).then((l) => {
      taken = true;
      return l;
    });
    await eventually(() => waitedFor === process.pid, 'the new holder waits, saying for whom');
    expect(taken).toBe(false);
    await lock.release();
    await (await next).release();
  });

  it('is free at once when its holder is killed, though the dead process is a zombie nobody reaps', async () => {
    const dir = dataDir();
    const pidFile = join(dir, 'holder.pid');
    const holder =
      `import { lockDataDir } from '${join(PROJECT_DIR, 'local-server/data-dir.ts')}'; import { writeFileSync } from 'node:fs';` +
      ` await lockDataDir('${dir}'); writeFileSync('${pidFile}', String(process.pid)); setInterval(() => {}, 1000);`;
    // The holder's parent shell becomes `sleep`, which never waits for children: the killed holder stays a zombie.
    const parent = spawn(
      'sh',
      ['-c', `"${process.execPath}" --input-type=module -e "${holder.replace(/"/g, '\\"')}" & exec sleep 60`],
      { stdio: 'ignore' },
    );
    try {
      await eventually(() => {
        try {
          return readFileSync(pidFile, 'utf8').length > 0;
        } catch {
          return false;
        }
      }, 'the holder holds');
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirInUseError);
      process.kill(pid, 'SIGKILL');
      await eventually(() => readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), 'the holder is a zombie');
      expect(isAlive(pid)).toBe(false);
      await (await lockDataDir(dir)).release();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
