// A project's or a workspace's runs, newest first, with status, trigger and job (and project) filters; refreshed
// every two seconds while any run shown is active.
import { RUN_STATUSES, type Run } from '../../../client/jobs-client.ts';
import { client } from '../session.ts';
import { Empty, ErrorNotice, FilterInput, Pager, RunsTable, useLoad, useRefresh } from '../components.tsx';
import { href, navigate, paths } from '../route.ts';
import { jobNames } from '../job-names.ts';

const TRIGGERS = ['manual', 'schedule', 'rerun'];

const limitText = (value: number | null, unit: string) => (value === null ? 'none' : `${value} ${unit}`);

/**
 * A project's limits and how much of them is in use: its running tasks against its own limit and its workspace's,
 * its cpu limits and its weight (its share when the workspace's limit binds). Read again with the runs.
 */
function ProjectLimits({ workspace, project, refresh }: { workspace: string; project: string; refresh: unknown }) {
  const limits = useLoad(async () => {
    const api = client(workspace, project);
    const [own, shared, running] = await Promise.all([
      api.projectSettings(),
      client(workspace).workspaceSettings(),
      api.listRuns({ status: 'running', limit: 100 }),
    ]);
    const tasks = running.items.reduce((sum, run) => sum + run.tasks.running, 0);
    return { own, shared, tasks, more: running.next_cursor !== null };
  }, [workspace, project, refresh]);
  if (!limits.data) return null;
  const { own, shared, tasks, more } = limits.data;
  const cap = own.limits.running_tasks;
  return (
    <dl class="limits" aria-label="Limits">
      <div>
        <dt>Running tasks</dt>
        <dd>
          {more ? `${tasks}+` : tasks}
          {cap === null ? ' (no project limit)' : ` of ${cap}`}
        </dd>
      </div>
      <div>
        <dt>Project cpu limit</dt>
        <dd>{limitText(own.limits.cpu, 'cpu')}</dd>
      </div>
      <div>
        <dt>Workspace</dt>
        <dd>
          {shared.limits.running_tasks === null && shared.limits.cpu === null
            ? 'no limits'
            : `${limitText(shared.limits.running_tasks, 'running tasks')}, ${limitText(shared.limits.cpu, 'cpu')}`}
        </dd>
      </div>
      <div>
        <dt>Weight</dt>
        <dd>{own.weight}</dd>
      </div>
    </dl>
  );
}

export function Runs({ workspace, project, query }: { workspace: string; project?: string; query: URLSearchParams }) {
  const filters = {
    status: query.get('status') ?? '',
    trigger: query.get('trigger') ?? '',
    job_id: query.get('job_id') ?? '',
    project_id: query.get('project_id') ?? '',
  };
  const cursor = query.get('cursor') ?? undefined;
  const here = project ? paths.projectRuns(workspace, project) : paths.workspaceRuns(workspace);
  const set = (changes: Record<string, string | undefined>) => navigate(href(here, { ...filters, cursor, ...changes }));
  const runs = useLoad(() => {
    const q = {
      limit: 20,
      cursor,
      ...(filters.status ? { status: filters.status as Run['status'] } : {}),
      ...(filters.trigger ? { trigger: filters.trigger as Run['trigger'] } : {}),
      ...(filters.job_id ? { job_id: filters.job_id } : {}),
    };
    return project
      ? client(workspace, project).listRuns(q)
      : client(workspace).listWorkspaceRuns({
          ...q,
          ...(filters.project_id ? { project_id: filters.project_id } : {}),
        });
  }, [workspace, project, JSON.stringify(filters), cursor]);
  // The project's jobs by name, for the job filter (a workspace's runs span projects: there it takes an id).
  const names = useLoad(async () => (project ? jobNames(workspace, project) : null), [workspace, project]);
  const active = (runs.data?.items ?? []).some((r) => r.status === 'pending' || r.status === 'running');
  useRefresh(active, 2000, runs.reload);

  const select = (id: string, label: string, value: string, options: readonly string[], field: string) => (
    <>
      <label for={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(e) => set({ [field]: (e.target as HTMLSelectElement).value || undefined, cursor: undefined })}
      >
        <option value="">any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </>
  );
  return (
    <section>
      <h1>Runs of {project ? `${workspace}/${project}` : `the workspace ${workspace}`}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        {select('runs-status', 'Status', filters.status, RUN_STATUSES, 'status')}
        {select('runs-trigger', 'Trigger', filters.trigger, TRIGGERS, 'trigger')}
        {project ? (
          <>
            <label for="runs-job">Job</label>
            <select
              id="runs-job"
              value={filters.job_id}
              onChange={(e) => set({ job_id: (e.target as HTMLSelectElement).value || undefined, cursor: undefined })}
            >
              <option value="">any</option>
              {[...(names.data ?? new Map<string, string>())]
                .sort(([, a], [, b]) => a.localeCompare(b))
                .map(([id, name]) => (
                  <option key={id} value={id}>
                    {name}
                  </option>
                ))}
              {filters.job_id && names.data && !names.data.has(filters.job_id) && (
                <option value={filters.job_id}>{filters.job_id}</option>
              )}
            </select>
          </>
        ) : (
          <>
            <label for="runs-job">Job id</label>
            <FilterInput
              id="runs-job"
              value={filters.job_id}
              onApply={(v) => set({ job_id: v || undefined, cursor: undefined })}
            />
          </>
        )}
        {!project && (
          <>
            <label for="runs-project">Project</label>
            <FilterInput
              id="runs-project"
              value={filters.project_id}
              onApply={(v) => set({ project_id: v || undefined, cursor: undefined })}
            />
          </>
        )}
      </form>
      {project && <ProjectLimits workspace={workspace} project={project} refresh={runs.data} />}
      <ErrorNotice error={runs.error} />
      {active && (
        <p class="hint" aria-live="polite">
          Refreshing while runs are active.
        </p>
      )}
      {runs.data && runs.data.items.length === 0 && <Empty>No runs match: change the filters, or run a job.</Empty>}
      {runs.data && runs.data.items.length > 0 && (
        <RunsTable runs={runs.data.items} columns={project ? ['job'] : ['project', 'job']} />
      )}
      <Pager cursor={cursor} next={runs.data?.next_cursor} onPage={(c) => set({ cursor: c })} />
    </section>
  );
}
