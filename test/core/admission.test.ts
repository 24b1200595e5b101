// The admission rule alone: limits, priority then age, weighted fair share, head-of-line, places and reasons.
import { describe, expect, it } from 'vitest';
import {
  planAdmission,
  type AdmissionLimits,
  type Capacity,
  type HeldTask,
  type WaitingTask,
} from '../../functions/core/admission.ts';
import { NO_LIMITS, type Limits, type ProjectSettings } from '../../functions/core/settings.ts';

let clock = 0;
function waiting(project: string, fields: Partial<WaitingTask> = {}, workspace = 'acme'): WaitingTask {
  const created = fields.created ?? ++clock;
  const run_id = fields.run_id ?? `run_${String(created).padStart(4, '0')}`;
  return {
    key: `${run_id}/${fields.index ?? 0}`,
    run_id,
    index: 0,
    workspace_id: workspace,
    project_id: project,
    priority: 50,
    created,
    since: created,
    cpu: 0.25,
    memory_mb: 512,
    ...fields,
  };
}

const held = (project: string, n: number, cpu = 0.25, workspace = 'acme'): HeldTask[] =>
  Array.from({ length: n }, () => ({ workspace_id: workspace, project_id: project, cpu, memory_mb: 512 }));

function limits(
  options: {
    workspace?: Partial<Limits>;
    projects?: Record<string, { limits?: Partial<Limits>; weight?: number }>;
    host?: Capacity;
  } = {},
): AdmissionLimits {
  return {
    workspace: () => ({ ...NO_LIMITS, ...options.workspace }),
    project: (place): ProjectSettings => {
      const project = options.projects?.[place.project_id];
      return { limits: { ...NO_LIMITS, ...project?.limits }, weight: project?.weight ?? 1 };
    },
    host: options.host ?? null,
  };
}

describe('admission', () => {
  it('starts what the project limit has room for, in priority then age order, and places the rest 1..n', () => {
    const tasks = [
      waiting('etl'),
      waiting('etl'),
      waiting('etl', { priority: 90 }),
      waiting('etl'),
      waiting('etl', { priority: 10 }),
    ];
    const plan = planAdmission(tasks, held('etl', 1), limits({ projects: { etl: { limits: { running_tasks: 3 } } } }));
    expect(plan.admit.map((t) => t.run_id)).toEqual([tasks[2]!.run_id, tasks[0]!.run_id]);
    expect([...plan.queue.entries()].map(([key, place]) => [key, place.position])).toEqual([
      [tasks[1]!.key, 1],
      [tasks[3]!.key, 2],
      [tasks[4]!.key, 3],
    ]);
    expect(plan.queue.get(tasks[1]!.key)!.reason).toBe('project acme/etl is at its limit of 3 running tasks');
  });

  it('gives a binding workspace limit to the project with the fewest running tasks per unit of weight', () => {
    const a = Array.from({ length: 40 }, () => waiting('a'));
    const b = [waiting('b'), waiting('b')];
    // A holds 3 of the workspace's 4; one slot frees at a time.
    const rule = limits({ workspace: { running_tasks: 4 } });
    let holding = held('a', 3);
    const started: string[] = [];
    let queue = [...a, ...b];
    for (let i = 0; i < 4; i++) {
      const plan = planAdmission(queue, holding, rule);
      expect(plan.admit).toHaveLength(1);
      const next = plan.admit[0]!;
      started.push(next.project_id);
      queue = queue.filter((t) => t !== next);
      // The oldest running task of A ends, and the one just started runs.
      holding = [...holding.slice(1), { ...next }];
    }
    expect(started.slice(0, 3).filter((p) => p === 'b')).toHaveLength(2);
    // Weighted: A with weight 3 against B's 1 gets three slots to B's one.
    const weighted = planAdmission(
      [...a, ...b],
      [],
      limits({ workspace: { running_tasks: 8 }, projects: { a: { weight: 3 } } }),
    );
    expect(weighted.admit.filter((t) => t.project_id === 'a')).toHaveLength(6);
    expect(weighted.admit.filter((t) => t.project_id === 'b')).toHaveLength(2);
  });

  it('counts cpu against project, workspace and host, and names the first limit with no room', () => {
    const tasks = [waiting('etl', { cpu: 1 }), waiting('etl', { cpu: 1 }), waiting('web', { cpu: 0.5 })];
    const plan = planAdmission(
      tasks,
      held('etl', 1, 0.5),
      limits({ projects: { etl: { limits: { cpu: 1.5 } } }, host: { cpu: 2.25, memory_mb: 100_000 } }),
    );
    expect(plan.admit.map((t) => t.key)).toEqual([tasks[2]!.key, tasks[0]!.key]);
    expect(plan.queue.get(tasks[1]!.key)!.reason).toBe('project acme/etl is at its limit of 1.5 cpu (1.5 in use)');
  });

  it('never lets a smaller task pass the head of its queue, so a big one cannot starve', () => {
    const big = waiting('etl', { cpu: 2 });
    const small = waiting('etl', { cpu: 0.25 });
    const plan = planAdmission([big, small], held('web', 3, 0.5), limits({ host: { cpu: 3, memory_mb: 100_000 } }));
    expect(plan.admit).toEqual([]);
    expect(plan.queue.get(big.key)!.reason).toBe('the host is at its capacity of 3 cpu (1.5 in use)');
    expect(plan.queue.get(small.key)).toEqual({ position: 2, reason: '1 task ahead of it in the queue' });
  });

  it('refuses at once a task no limit could ever hold, naming it', () => {
    const tasks = [waiting('etl', { cpu: 2 }), waiting('etl', { memory_mb: 4096 }), waiting('ops', { cpu: 4 })];
    const plan = planAdmission(
      tasks,
      [],
      limits({ host: { cpu: 1, memory_mb: 2048 }, projects: { ops: { limits: { cpu: 2 } } } }),
    );
    expect(plan.refuse.map((r) => r.reason)).toEqual([
      'the task asks 2 cpu; the host offers 1',
      'the task asks 4096 MiB of memory; the host offers 2048',
      'the task asks 4 cpu; project acme/ops allows 2',
    ]);
    expect(plan.admit).toEqual([]);
  });

  it('keeps workspaces apart: one at its limit does not hold up another', () => {
    const a = waiting('etl', {}, 'acme');
    const b = waiting('etl', {}, 'globex');
    const plan = planAdmission([a, b], held('etl', 1, 0.25, 'acme'), limits({ workspace: { running_tasks: 1 } }));
    expect(plan.admit.map((t) => t.workspace_id)).toEqual(['globex']);
    expect(plan.queue.get(a.key)).toEqual({ position: 1, reason: 'workspace acme is at its limit of 1 running task' });
  });
});
