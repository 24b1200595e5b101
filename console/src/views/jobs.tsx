// A project's jobs: name, schedule in words with its time zone, suspended, next fire, last run and its age, and
// run counts; filtered by name and tag, paged by cursor.
import type { Job } from '../../../client/jobs-client.ts';
import { client } from '../session.ts';
import { Empty, ErrorNotice, FilterInput, Pager, StatusBadge, useLoad } from '../components.tsx';
import { age, scheduleWords, time, zonedTime } from '../format.ts';
import { href, navigate, paths } from '../route.ts';

const PAGE = 20;

export function Jobs({ workspace, project, query }: { workspace: string; project: string; query: URLSearchParams }) {
  const name = query.get('name') ?? '';
  const tag = query.get('tag') ?? '';
  const cursor = query.get('cursor') ?? undefined;
  const api = client(workspace, project);
  const jobs = useLoad(async () => {
    // The API filters by tag; a name filter reads on, page after page, until a page of matches or the end.
    const needle = name.toLowerCase();
    const matches: Job[] = [];
    let next: string | null | undefined = cursor;
    do {
      const page = await api.listJobs({
        limit: needle ? 100 : PAGE,
        cursor: next ?? undefined,
        ...(tag ? { tag: [tag] } : {}),
      });
      matches.push(...page.items.filter((job) => job.name.toLowerCase().includes(needle)));
      next = page.next_cursor;
    } while (needle && next && matches.length < PAGE);
    const statuses = await Promise.all(matches.map((job) => api.jobStatus(job.id)));
    return { next_cursor: next ?? null, rows: matches.map((job, i) => ({ job, status: statuses[i]! })) };
  }, [workspace, project, tag, name, cursor]);
  const set = (changes: Record<string, string | undefined>) =>
    navigate(href(paths.jobs(workspace, project), { name, tag, cursor, ...changes }));
  const rows = jobs.data?.rows ?? [];

  return (
    <section>
      <div class="title">
        <h1>
          Jobs of {workspace}/{project}
        </h1>
        <a class="button primary" href={href(paths.newJob(workspace, project))}>
          New job
        </a>
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label for="job-name">Name contains</label>
        <FilterInput id="job-name" value={name} onApply={(v) => set({ name: v, cursor: undefined })} />
        <label for="job-tag">Tag (key:value)</label>
        <FilterInput
          id="job-tag"
          value={tag}
          placeholder="team:data"
          onApply={(v) => set({ tag: v, cursor: undefined })}
        />
      </form>
      <ErrorNotice error={jobs.error} />
      {jobs.loading && !jobs.data && <p aria-live="polite">Loading jobs…</p>}
      {jobs.data && rows.length === 0 && (
        <Empty>
          {!tag && !name ? (
            <>
              No jobs in {workspace}/{project} yet. Make one with New job above, with{' '}
              <code>jobsctl apply -f job.yaml</code> or{' '}
              <code>
                POST /v1/workspaces/{workspace}/projects/{project}/jobs
              </code>
              .
            </>
          ) : (
            'No job matches the filter: change it or clear it.'
          )}
        </Empty>
      )}
      {rows.length > 0 && (
        <table class="jobs">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Schedule</th>
              <th scope="col">Next fire</th>
              <th scope="col">Last run</th>
              <th scope="col">Runs</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ job, status }) => (
              <tr key={job.id}>
                <td>
                  <a href={href(paths.job(workspace, project, job.id))}>{job.name}</a>
                  {job.suspended && <span class="badge suspended">⏸ suspended</span>}
                </td>
                <td>{scheduleWords(job.schedule, job.timezone)}</td>
                <td>
                  {status.schedule?.next_fire_at ? (
                    <time dateTime={status.schedule.next_fire_at} title={time(status.schedule.next_fire_at)}>
                      {zonedTime(status.schedule.next_fire_at, job.timezone)}
                    </time>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  {status.latest_run ? (
                    <a href={href(paths.run(workspace, project, job.id, status.latest_run.id))}>
                      <StatusBadge status={status.latest_run.status} /> {age(status.latest_run.created_at)}
                    </a>
                  ) : (
                    'never run'
                  )}
                </td>
                <td>
                  {status.counts.succeeded} ✓ · {status.counts.failed} ✗ · {status.counts.total} in all
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager cursor={cursor} next={jobs.data?.next_cursor} onPage={(c) => set({ cursor: c })} />
    </section>
  );
}
