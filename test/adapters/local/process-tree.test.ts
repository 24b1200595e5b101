import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isRunning, MarkedProcessReaper, markedProcesses } from '../../../functions/adapters/local/process-tree.ts';
import { eventually } from '../../helpers/wait.ts';

/** A detached sleep that carries `mark` in its environment, as a run's escaped daemon would. */
function marked(mark: string): number {
  const [name, value] = mark.split('=') as [string, string];
  const child = spawn('sleep', ['30'], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH, [name]: value },
  });
  child.unref();
  return child.pid as number;
}

describe('processes found by their mark', () => {
  it('finds exactly the processes carrying a mark, not those with a longer value', async () => {
    const mark = `JOBS_RUN_ID=run_${Date.now()}`;
    const pid = marked(mark);
    const other = marked(`${mark}0`);
    // Both have exec'd (their environment is readable) before the one mark is looked up.
    await eventually(
      () => markedProcesses(`${mark}0`).includes(other) && markedProcesses(mark).includes(pid),
      'both processes started',
    );
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
    const bystanderMark = `JOBS_RUN_ID=run_bystander_${Date.now()}`;
    const bystander = marked(bystanderMark);
    await eventually(
      () =>
        marks.every((mark, i) => markedProcesses(mark).includes(pids[i] as number)) &&
        markedProcesses(bystanderMark).includes(bystander),
      'all started',
    );
    const reaper = new MarkedProcessReaper();
    for (const mark of marks) reaper.reap(mark);
    await reaper.idle();
    await eventually(() => pids.filter(isRunning).length === 0, 'the marked processes killed');
    expect(isRunning(bystander)).toBe(true);
    process.kill(bystander, 'SIGKILL');
  });
});
