import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isRunning, MarkedProcessReaper, markedProcesses } from '../../functions/adapters/local/process-tree.ts';

/** A detached sleep that carries `mark` in its environment, as a run's escaped daemon would. */
function marked(mark: string): number {
  const [name, value] = mark.split('=') as [string, string];
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, [name]: value } });
  child.unref();
  return child.pid as number;
}

describe('processes found by their mark', () => {
  it('finds exactly the processes carrying a mark, not those with a longer value', async () => {
    const mark = `JOBS_RUN_ID=run_${Date.now()}`;
    const pid = marked(mark);
    const other = marked(`${mark}0`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      expect(markedProcesses(mark)).toEqual([pid]);
    } finally {
      process.kill(pid, 'SIGKILL');
      process.kill(other, 'SIGKILL');
    }
  });

  it('reaps in the background every mark queued together, in one pass', async () => {
    const marks = [1, 2, 3].map((i) => `JOBS_RUN_ID=run_reap_${Date.now()}_${i}`);
    const pids = marks.map(marked);
    const bystander = marked(`JOBS_RUN_ID=run_bystander_${Date.now()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reaper = new MarkedProcessReaper();
    for (const mark of marks) reaper.reap(mark);
    await reaper.idle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(pids.filter(isRunning)).toEqual([]);
    expect(isRunning(bystander)).toBe(true);
    process.kill(bystander, 'SIGKILL');
  });
});
