// Admission: which waiting tasks start now, and where the others stand. One pure rule for both hosts: a task
// starts only when every limit over it has room (its project's and workspace's running tasks and cpu, and the
// host's capacity where there is one). Within a project: higher priority first, then the oldest run. Between
// projects, equal priorities go to the project with the fewest running tasks per unit of weight (weighted fair
// share). The head of a project's queue is never passed by a smaller task behind it, so a big task cannot starve.
import type { Limits, ProjectSettings } from './settings.ts';

export interface TaskSize {
  cpu: number;
  memory_mb: number;
}

/** Where a task belongs. */
export interface TaskPlace {
  workspace_id: string;
  project_id: string;
}

/** A task waiting to start. */
export interface WaitingTask extends TaskSize, TaskPlace {
  /** `<run id>/<task index>`: unique among waiting and running tasks. */
  key: string;
  run_id: string;
  index: number;
  /** 0–100: higher starts first. */
  priority: number;
  /** When its run was created (ms): the older first within a priority. */
  created: number;
  /** When this wait began (ms). */
  since: number;
}

/** A task holding its slot (starting or running). */
export type HeldTask = TaskSize & TaskPlace;

/** The host's capacity (local mode); none in AWS. */
export interface Capacity {
  cpu: number;
  memory_mb: number;
}

export interface AdmissionLimits {
  workspace(workspaceId: string): Limits;
  project(place: TaskPlace): ProjectSettings;
  host: Capacity | null;
}

/** Where a waiting run stands: its place in its workspace's queue and why it waits. */
export interface QueuePlace {
  position: number;
  reason: string;
}

export interface AdmissionPlan {
  /** Start these now, in this order. */
  admit: WaitingTask[];
  /** Tasks that can never start under the limits as they are now, with the limit named. */
  refuse: Array<{ task: WaitingTask; reason: string }>;
  /** Every other waiting task, by key. */
  queue: Map<string, QueuePlace>;
}

/** One limit over a task: a project, a workspace or the host. Cpu in thousandths, so sums stay exact. */
interface Scope {
  key: string;
  name: string;
  capacity: boolean;
  running_tasks: number | null;
  millicpu: number | null;
  memory_mb: number | null;
}

interface Used {
  tasks: number;
  millicpu: number;
  memory_mb: number;
}

const milli = (cpu: number) => Math.round(cpu * 1000);
const cores = (millicpu: number) => String(millicpu / 1000);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const projectName = (place: TaskPlace) => `${place.workspace_id}/${place.project_id}`;

function scopesOf(task: TaskPlace, limits: AdmissionLimits): Scope[] {
  const project = limits.project(task).limits;
  const workspace = limits.workspace(task.workspace_id);
  const scopes: Scope[] = [
    {
      key: `p:${projectName(task)}`,
      name: `project ${projectName(task)}`,
      capacity: false,
      running_tasks: project.running_tasks,
      millicpu: project.cpu === null ? null : milli(project.cpu),
      memory_mb: null,
    },
    {
      key: `w:${task.workspace_id}`,
      name: `workspace ${task.workspace_id}`,
      capacity: false,
      running_tasks: workspace.running_tasks,
      millicpu: workspace.cpu === null ? null : milli(workspace.cpu),
      memory_mb: null,
    },
  ];
  if (limits.host)
    scopes.push({
      key: 'host',
      name: 'the host',
      capacity: true,
      running_tasks: null,
      millicpu: milli(limits.host.cpu),
      memory_mb: limits.host.memory_mb,
    });
  return scopes;
}

/** Why a task of this size can never start under `scope`, or null. */
function neverFits(size: TaskSize, scope: Scope): string | null {
  const verb = scope.capacity ? 'offers' : 'allows';
  if (scope.millicpu !== null && milli(size.cpu) > scope.millicpu)
    return `the task asks ${size.cpu} cpu; ${scope.name} ${verb} ${cores(scope.millicpu)}`;
  if (scope.memory_mb !== null && size.memory_mb > scope.memory_mb)
    return `the task asks ${size.memory_mb} MiB of memory; ${scope.name} ${verb} ${scope.memory_mb}`;
  return null;
}

/** Why `scope` has no room for one more task of this size now, or null. */
function full(size: TaskSize, scope: Scope, used: Used): string | null {
  const at = scope.capacity ? 'is at its capacity of' : 'is at its limit of';
  if (scope.running_tasks !== null && used.tasks + 1 > scope.running_tasks)
    return `${scope.name} ${at} ${plural(scope.running_tasks, 'running task')}`;
  if (scope.millicpu !== null && used.millicpu + milli(size.cpu) > scope.millicpu)
    return `${scope.name} ${at} ${cores(scope.millicpu)} cpu (${cores(used.millicpu)} in use)`;
  if (scope.memory_mb !== null && used.memory_mb + size.memory_mb > scope.memory_mb)
    return `${scope.name} ${at} ${scope.memory_mb} MiB of memory (${used.memory_mb} in use)`;
  return null;
}

class Usage {
  readonly #by = new Map<string, Used>();

  of(key: string): Used {
    return this.#by.get(key) ?? { tasks: 0, millicpu: 0, memory_mb: 0 };
  }

  add(scopes: Scope[], size: TaskSize): void {
    for (const scope of scopes) {
      const used = this.of(scope.key);
      this.#by.set(scope.key, {
        tasks: used.tasks + 1,
        millicpu: used.millicpu + milli(size.cpu),
        memory_mb: used.memory_mb + size.memory_mb,
      });
    }
  }

  copy(): Usage {
    const copy = new Usage();
    for (const [key, used] of this.#by) copy.#by.set(key, used);
    return copy;
  }
}

/** Within a project: higher priority, then the older run, then its task order. */
export function queueOrder(a: WaitingTask, b: WaitingTask): number {
  return (
    b.priority - a.priority ||
    a.created - b.created ||
    (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0) ||
    a.index - b.index
  );
}

/** Each project's waiting tasks, in queue order. */
function projectQueues(waiting: WaitingTask[]): Map<string, WaitingTask[]> {
  const queues = new Map<string, WaitingTask[]>();
  for (const task of waiting) {
    const key = projectName(task);
    queues.set(key, [...(queues.get(key) ?? []), task]);
  }
  for (const queue of queues.values()) queue.sort(queueOrder);
  return queues;
}

/** The next head to start among the projects' heads: priority, then fair share, then age. */
function nextHead(heads: WaitingTask[], usage: Usage, limits: AdmissionLimits): WaitingTask | undefined {
  const share = (task: WaitingTask) => usage.of(`p:${projectName(task)}`).tasks / limits.project(task).weight;
  return heads.reduce<WaitingTask | undefined>((best, task) => {
    if (!best) return task;
    const order = best.priority - task.priority || share(task) - share(best) || task.created - best.created;
    return order < 0 ? task : best;
  }, undefined);
}

export function planAdmission(waiting: WaitingTask[], held: HeldTask[], limits: AdmissionLimits): AdmissionPlan {
  const usage = new Usage();
  const scopes = new Map<string, Scope[]>();
  const scopesFor = (task: TaskPlace) => {
    const key = projectName(task);
    const found = scopes.get(key) ?? scopesOf(task, limits);
    scopes.set(key, found);
    return found;
  };
  for (const task of held) usage.add(scopesFor(task), task);

  const refuse: AdmissionPlan['refuse'] = [];
  const fitting = waiting.filter((task) => {
    const reason = scopesFor(task)
      .map((scope) => neverFits(task, scope))
      .find(Boolean);
    if (reason) refuse.push({ task, reason });
    return !reason;
  });

  const queues = projectQueues(fitting);
  const admit: WaitingTask[] = [];
  const closed = new Set<string>();
  for (;;) {
    // The heads whose own project has room, in workspaces (and a host) not yet found full.
    const heads = [...queues.values()]
      .map((queue) => queue[0])
      .filter((task): task is WaitingTask => {
        if (!task || closed.has(`w:${task.workspace_id}`) || closed.has('host')) return false;
        const [project] = scopesFor(task);
        return full(task, project!, usage.of(project!.key)) === null;
      });
    const head = nextHead(heads, usage, limits);
    if (!head) break;
    const [, ...shared] = scopesFor(head);
    const blocking = shared.find((scope) => full(head, scope, usage.of(scope.key)) !== null);
    if (blocking) {
      // The head waits for room, and nothing behind it in that workspace (or on that host) passes it.
      closed.add(blocking.key);
      continue;
    }
    admit.push(head);
    usage.add(scopesFor(head), head);
    queues.get(projectName(head))!.shift();
  }
  return { admit, refuse, queue: queuePlaces(queues, usage, limits, scopesFor) };
}

/**
 * Each waiting task's place in its workspace's queue: the order the rule would start them in if room came for
 * them all one by one, and why each waits now (the first limit over it with no room, else the tasks ahead of it).
 */
function queuePlaces(
  queues: Map<string, WaitingTask[]>,
  usage: Usage,
  limits: AdmissionLimits,
  scopesFor: (task: TaskPlace) => Scope[],
): Map<string, QueuePlace> {
  const places = new Map<string, QueuePlace>();
  const byWorkspace = new Map<string, WaitingTask[][]>();
  for (const queue of queues.values()) {
    if (queue.length === 0) continue;
    const workspace = queue[0]!.workspace_id;
    byWorkspace.set(workspace, [...(byWorkspace.get(workspace) ?? []), [...queue]]);
  }
  for (const projects of byWorkspace.values()) {
    const shares = usage.copy();
    let position = 0;
    for (;;) {
      const head = nextHead(
        projects.map((queue) => queue[0]).filter((task): task is WaitingTask => task !== undefined),
        shares,
        limits,
      );
      if (!head) break;
      projects.find((queue) => queue[0] === head)!.shift();
      shares.add(scopesFor(head).slice(0, 1), head);
      position++;
      const reason =
        scopesFor(head)
          .map((scope) => full(head, scope, usage.of(scope.key)))
          .find(Boolean) ?? `${plural(position - 1, 'task')} ahead of it in the queue`;
      places.set(head.key, { position, reason });
    }
  }
  return places;
}

/** Why a task of this size could never start under these limits, or null. */
export function neverFitsReason(task: TaskSize & TaskPlace, limits: AdmissionLimits): string | null {
  return (
    scopesOf(task, limits)
      .map((scope) => neverFits(task, scope))
      .find(Boolean) ?? null
  );
}

/**
 * Each wanted run's place: its waiting task nearest the front (a run of several may have several waiting), with
 * the time that task began to wait. `placeOf` answers a task's place, or nothing.
 */
export function runPlaces(
  waiting: Iterable<WaitingTask>,
  wanted: ReadonlySet<string>,
  placeOf: (task: WaitingTask) => QueuePlace | undefined,
): Map<string, QueuePlace & { since: string }> {
  const found = new Map<string, QueuePlace & { since: string }>();
  for (const task of waiting) {
    const place = wanted.has(task.run_id) ? placeOf(task) : undefined;
    if (!place) continue;
    const seen = found.get(task.run_id);
    if (!seen || place.position < seen.position)
      found.set(task.run_id, { ...place, since: new Date(task.since).toISOString() });
  }
  return found;
}
