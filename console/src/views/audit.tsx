// A workspace's audit log: every change made through the API, newest first, with who made it, from where and what
// it changed field by field; filtered by project, action, key and how far back. Writers and admins read it.
import { AUDIT_ACTIONS, type AuditEntry } from '../../../client/jobs-client.ts';
import { client } from '../session.ts';
import { Empty, ErrorNotice, FilterInput, JobLabel, Pager, useLoad } from '../components.tsx';
import { time } from '../format.ts';
import { href, navigate, paths } from '../route.ts';

const SINCE = { '1h': 'the last hour', '24h': 'the last day', '7d': 'the last 7 days', '30d': 'the last 30 days' };

/** A value as the change shows it: text as it is, anything else as JSON, long ones cut. */
function shown(value: unknown): string {
  if (value === null || value === undefined) return '—';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** Where a change was made: its project and the job, run, secret, webhook or key it changed. */
function Target({ workspace, entry }: { workspace: string; entry: AuditEntry }) {
  const target = entry.target as Record<string, string | undefined>;
  const { project_id: project, job_id: job, run_id: run } = target;
  const others = Object.entries(target).filter(
    ([name, value]) => value && !['workspace_id', 'project_id', 'job_id', 'run_id'].includes(name),
  );
  return (
    <>
      {project && <span>{project}</span>}
      {project && job && (
        <>
          {' / '}
          <JobLabel workspace={workspace} project={project} jobId={job} />
        </>
      )}
      {project && job && run && (
        <>
          {' / '}
          <a href={href(paths.run(workspace, project, job, run))}>
            <code>{run}</code>
          </a>
        </>
      )}
      {others.map(([name, value]) => (
        <span key={name}>
          {' '}
          {name.replace(/_id$/, '')} <code>{value}</code>
        </span>
      ))}
    </>
  );
}

export function Audit({ workspace, query }: { workspace: string; query: URLSearchParams }) {
  const filters = {
    project_id: query.get('project_id') ?? '',
    action: query.get('action') ?? '',
    key_id: query.get('key_id') ?? '',
    since: query.get('since') ?? '7d',
  };
  const cursor = query.get('cursor') ?? undefined;
  const set = (changes: Record<string, string | undefined>) =>
    navigate(href(paths.audit(workspace), { ...filters, cursor, ...changes }));
  const entries = useLoad(
    () =>
      client(workspace).listWorkspaceAudit({
        limit: 25,
        cursor,
        since: filters.since,
        ...(filters.project_id ? { project_id: filters.project_id } : {}),
        ...(filters.action ? { action: filters.action as AuditEntry['action'] } : {}),
        ...(filters.key_id ? { key_id: filters.key_id } : {}),
      }),
    [workspace, JSON.stringify(filters), cursor],
  );
  const items = entries.data?.items ?? [];
  return (
    <section>
      <h1>Audit log of the workspace {workspace}</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label for="audit-since">Since</label>
        <select
          id="audit-since"
          value={filters.since}
          onChange={(e) => set({ since: (e.target as HTMLSelectElement).value, cursor: undefined })}
        >
          {Object.entries(SINCE).map(([value, words]) => (
            <option key={value} value={value}>
              {words}
            </option>
          ))}
        </select>
        <label for="audit-action">Action</label>
        <select
          id="audit-action"
          value={filters.action}
          onChange={(e) => set({ action: (e.target as HTMLSelectElement).value || undefined, cursor: undefined })}
        >
          <option value="">any</option>
          {AUDIT_ACTIONS.map((action) => (
            <option key={action} value={action}>
              {action}
            </option>
          ))}
        </select>
        <label for="audit-project">Project</label>
        <FilterInput
          id="audit-project"
          value={filters.project_id}
          placeholder="any"
          onApply={(v) => set({ project_id: v || undefined, cursor: undefined })}
        />
        <label for="audit-key">Key id</label>
        <FilterInput
          id="audit-key"
          value={filters.key_id}
          placeholder="any"
          onApply={(v) => set({ key_id: v || undefined, cursor: undefined })}
        />
      </form>
      <ErrorNotice error={entries.error} />
      {entries.data && items.length === 0 && <Empty>No change matches these filters.</Empty>}
      {items.length > 0 && (
        <table class="audit">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">What</th>
              <th scope="col">Changes</th>
            </tr>
          </thead>
          <tbody>
            {items.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <time dateTime={entry.time} title={`request ${entry.request_id} from ${entry.source_ip}`}>
                    {time(entry.time)}
                  </time>
                </td>
                <td>
                  <span title={entry.actor.key_id}>{entry.actor.key_name}</span>{' '}
                  <span class="sub">({entry.actor.role})</span>
                </td>
                <td>
                  <code>{entry.action}</code>
                </td>
                <td>
                  <Target workspace={workspace} entry={entry} />
                </td>
                <td>
                  {Object.keys(entry.changes).length === 0 ? (
                    <span class="sub">—</span>
                  ) : (
                    <ul class="diff">
                      {Object.entries(entry.changes).map(([field, [before, after]]) => (
                        <li key={field}>
                          <code>{field}</code>: {shown(before)} → {shown(after)}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager cursor={cursor} next={entries.data?.next_cursor} onPage={(c) => set({ cursor: c })} />
    </section>
  );
}
