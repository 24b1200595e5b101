// A job: its spec, run counts and health, next five fires, runs with a status filter, Run now (with overrides),
// Suspend/Resume, Delete with confirmation, CPU and memory charts over 1 h, 24 h or 7 d, and its revisions
// (what each changed, and Revert with confirmation, only if the job is still as it was read).
import { Fragment, type ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { type Job, type JobStatus, nextFires, RUN_STATUSES } from '../../../client/jobs-client.ts';
import { client } from '../session.ts';
import {
  CommandText,
  Empty,
  ErrorNotice,
  OutcomeNotice,
  Pager,
  RunsTable,
  StatusBadge,
  useAction,
  useLoad,
  useRefresh,
} from '../components.tsx';
import { duration, scheduleWords, time, zonedTime } from '../format.ts';
import { href, navigate, paths } from '../route.ts';
import { forgetJobNames } from '../job-names.ts';
import { Charts } from '../charts.tsx';
import { Revisions } from './revisions.tsx';

const WINDOWS = { '1h': '1 hour', '24h': '24 hours', '7d': '7 days' } as const;
const WINDOW_MS: Record<keyof typeof WINDOWS, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000 };

/** The next fires of a job's schedule; none while it is suspended. */
function upcoming(job: Job, count = 5): Date[] {
  return job.schedule && !job.suspended ? nextFires(job.schedule, job.timezone, count) : [];
}

/** KEY=value lines into an env object; a line without '=' is an error naming it. */
function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const at = line.indexOf('=');
    if (at <= 0) throw new Error(`env: "${line}" is not NAME=value`);
    env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

export function JobView({
  workspace,
  project,
  jobId,
  query,
}: {
  workspace: string;
  project: string;
  jobId: string;
  query: URLSearchParams;
}) {
  const api = client(workspace, project);
  const status = query.get('status') ?? '';
  const cursor = query.get('cursor') ?? undefined;
  const span = (query.get('window') ?? '1h') as keyof typeof WINDOWS;
  // The charts fit the window to short runs unless asked for the whole window.
  const fit = query.get('fit') === 'off' ? 'off' : undefined;
  const link = (changes: Record<string, string | undefined>) =>
    href(paths.job(workspace, project, jobId), { status, cursor, window: span, fit, ...changes });
  const set = (changes: Record<string, string | undefined>) => navigate(link(changes));

  const job = useLoad(async () => ({ job: await api.getJob(jobId), status: await api.jobStatus(jobId) }), [jobId]);
  const runs = useLoad(
    () =>
      api.listJobRuns(jobId, {
        limit: 20,
        cursor,
        ...(status ? { status: status as (typeof RUN_STATUSES)[number] } : {}),
      }),
    [jobId, status, cursor],
  );
  const active = (runs.data?.items ?? []).some((r) => r.status === 'pending' || r.status === 'running');
  useRefresh(active, 2000, () => {
    runs.reload();
    job.reload();
  });

  if (job.error && !job.data) return <ErrorNotice error={job.error} />;
  if (!job.data) return <p aria-live="polite">Loading the job…</p>;
  const { job: spec, status: jobStatus } = job.data;
  const fires = upcoming(spec);
  return (
    <section>
      <h1>
        {spec.name} {spec.suspended && <span class="badge suspended">⏸ suspended</span>}
      </h1>
      <p class="sub">
        <code>{spec.id}</code> · {scheduleWords(spec.schedule, spec.timezone)}
      </p>
      {(query.get('saved') || query.get('created')) && (
        <p class="notice ok" role="status">
          {query.get('created') ? `Created ${spec.name}.` : `Saved as revision ${query.get('saved')}.`}
        </p>
      )}
      {spec.suspended && jobStatus.schedule?.suspended_reason && (
        <p class="notice warn" role="status">
          The schedule was {jobStatus.schedule.suspended_reason}. Resume it once the cause is fixed.
        </p>
      )}
      <Actions
        workspace={workspace}
        project={project}
        job={spec}
        onChange={() => {
          job.reload();
          runs.reload();
        }}
      />
      <div class="columns">
        <Spec job={spec} />
        <div>
          <Counts status={jobStatus} />
          <Health status={jobStatus} />
          <RecentRuns workspace={workspace} project={project} job={spec} />
          <h2>Next fires</h2>
          {fires.length === 0 ? (
            <Empty>{spec.schedule ? 'Suspended: it does not fire.' : 'On demand: it has no schedule.'}</Empty>
          ) : (
            <ol class="fires">
              {fires.map((at) => (
                <li key={at.getTime()}>
                  <time dateTime={at.toISOString()} title={time(at.toISOString())}>
                    {zonedTime(at.toISOString(), spec.timezone)}
                  </time>
                </li>
              ))}
            </ol>
          )}
        </div>
      </div>
      <h2>Usage</h2>
      {/* biome-ignore lint/a11y/useSemanticElements: a toolbar of toggle buttons, not a set of form fields */}
      <div class="filters" role="group" aria-label="Chart window">
        {Object.entries(WINDOWS).map(([key, words]) => (
          <button type="button" key={key} aria-pressed={span === key} onClick={() => set({ window: key })}>
            {words}
          </button>
        ))}
      </div>
      <Charts
        workspace={workspace}
        project={project}
        jobId={jobId}
        since={span in WINDOWS ? span : '1h'}
        windowMs={WINDOW_MS[span] ?? WINDOW_MS['1h']}
        windowName={WINDOWS[span] ?? WINDOWS['1h']}
        fit={fit !== 'off'}
        fitLink={(on) => link({ fit: on ? undefined : 'off' })}
      />
      <h2>Runs</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label for="run-status">Status</label>
        <select
          id="run-status"
          value={status}
          onChange={(e) => set({ status: (e.target as HTMLSelectElement).value || undefined, cursor: undefined })}
        >
          <option value="">any</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </form>
      <ErrorNotice error={runs.error} />
      {runs.data && runs.data.items.length === 0 && (
        <Empty>{status ? `No ${status} runs.` : 'No runs yet: use Run now above.'}</Empty>
      )}
      {runs.data && runs.data.items.length > 0 && <RunsTable runs={runs.data.items} />}
      <Pager cursor={cursor} next={runs.data?.next_cursor} onPage={(c) => set({ cursor: c })} />
      <Revisions
        workspace={workspace}
        project={project}
        job={spec}
        onChange={() => {
          job.reload();
        }}
      />
    </section>
  );
}

/** "Is this job OK?": the last days' success rate and durations, its last success and failures in a row. */
function Health({ status }: { status: JobStatus }) {
  const { health } = status;
  const rows: Array<[string, string]> = [
    [
      'Succeeded',
      health.success_rate === null
        ? 'no run has succeeded or failed yet'
        : `${Math.round(health.success_rate * 100)} % of ${health.runs} runs`,
    ],
    ['Duration', `p50 ${duration(health.duration_ms.p50)} · p95 ${duration(health.duration_ms.p95)}`],
    ['Last success', health.last_success_at ? time(health.last_success_at) : 'never'],
    ['Failed in a row', String(health.consecutive_failures)],
  ];
  return (
    <div>
      <h2>Health, last {health.window_days} days</h2>
      <dl class={`limits health${health.consecutive_failures > 0 ? ' failing' : ''}`}>
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

const BAR_RUNS = 30;
const BAR_HEIGHT = 64;

/**
 * The job's last runs as bars, oldest on the left: a bar's height is the run's duration (against the longest
 * shown), its colour the run's status; each opens its run.
 */
function RecentRuns({ workspace, project, job }: { workspace: string; project: string; job: Job }) {
  const api = client(workspace, project);
  const runs = useLoad(() => api.listJobRuns(job.id, { limit: BAR_RUNS }), [job.id, job.updated_at]);
  const items = [...(runs.data?.items ?? [])].reverse();
  const now = Date.now();
  const lengthOf = (run: (typeof items)[number]) =>
    run.duration_ms ?? (run.started_at ? now - Date.parse(run.started_at) : 0);
  const longest = Math.max(1, ...items.map(lengthOf));
  return (
    <div>
      <h2>Last {BAR_RUNS} runs</h2>
      <ErrorNotice error={runs.error} />
      {runs.data && items.length === 0 && <Empty>No runs yet.</Empty>}
      {items.length > 0 && (
        <ol class="run-bars" aria-label="Recent runs, oldest first: height is duration, colour is status">
          {items.map((run) => {
            const length = lengthOf(run);
            const words = `${time(run.created_at)}: ${run.status}, ${run.started_at ? duration(length) : 'not started'}`;
            return (
              <li key={run.id}>
                <a
                  class={`bar status-${run.status}`}
                  href={href(paths.run(workspace, project, job.id, run.id))}
                  title={`${run.id}: ${words}`}
                  style={{ height: `${Math.max(3, Math.round((length / longest) * BAR_HEIGHT))}px` }}
                >
                  <span class="visually-hidden">Run made {words}</span>
                </a>
              </li>
            );
          })}
        </ol>
      )}
      {items.length > 0 && <p class="sub">Longest shown: {duration(longest)}</p>}
    </div>
  );
}

function Spec({ job }: { job: Job }) {
  const rows: Array<[string, ComponentChildren]> = [
    ['Image', job.image],
    ['Command', <CommandText key="command" command={job.command} />],
    ['Env', Object.keys(job.env).join(', ') || '—'],
    [
      'Secrets',
      Object.entries(job.secrets)
        .map(([variable, secret]) => `${variable} ← ${secret}`)
        .join(', ') || '—',
    ],
    ['Registry login', job.registry_credentials ?? '—'],
    ['Task role', job.task_role ?? '— (the stack’s role, no permissions)'],
    ['Network', job.network],
    [
      'Tags',
      Object.entries(job.tags)
        .map(([k, v]) => `${k}:${v}`)
        .join(', ') || '—',
    ],
    ['Schedule jitter', job.schedule_jitter_seconds > 0 ? `up to ${job.schedule_jitter_seconds} s late` : '—'],
    ['Timeout', `${job.timeout_seconds} s`],
    ['Retries', `${job.retries}${job.retry_rules.length ? ` (${job.retry_rules.length} rules)` : ''}`],
    ['Concurrency', job.concurrency],
    ['Size', `${job.cpu} vCPU, ${job.memory_mb} MiB`],
    ['Tasks', `${job.tasks}, ${job.parallelism} at once`],
    ['History', `${job.history.max_runs} runs, ${job.history.max_age_days} days`],
    ['Runs after', job.run_after.map((entry) => `${entry.job} (${entry.on})`).join(', ') || '—'],
    [
      'Alerts',
      Object.entries(job.alerts)
        .map(([rule, value]) => `${rule.replaceAll('_', ' ')}: ${value}`)
        .join(', ') || '—',
    ],
  ];
  return (
    <div>
      <h2>Spec</h2>
      <dl class="spec">
        {rows.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </Fragment>
        ))}
      </dl>
    </div>
  );
}

function Counts({ status }: { status: JobStatus }) {
  const { counts } = status;
  return (
    <div>
      <h2>Runs by status</h2>
      <ul class="counts">
        {RUN_STATUSES.map((s) => (
          <li key={s}>
            <StatusBadge status={s} /> {counts[s]}
          </li>
        ))}
        <li>
          {counts.total} in all, {counts.retained} kept
        </li>
      </ul>
    </div>
  );
}

function Actions({
  workspace,
  project,
  job,
  onChange,
}: {
  workspace: string;
  project: string;
  job: Job;
  onChange: () => void;
}) {
  const api = client(workspace, project);
  const [outcome, act, busy] = useAction();
  const [form, setForm] = useState<null | { command: string; env: string }>(null);
  const [confirming, setConfirming] = useState(false);

  const runNow = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const env = parseEnv(form?.env ?? '');
      const body = {
        ...(form?.command.trim() ? { command: form.command.trim() } : {}),
        ...(Object.keys(env).length ? { env } : {}),
      };
      const run = await api.trigger(job.id, body);
      navigate(paths.run(workspace, project, job.id, run.id));
      return `Run ${run.id} started`;
    });
  };
  return (
    <div class="actions">
      <div class="buttons">
        <button
          type="button"
          onClick={() => setForm(form ? null : { command: '', env: '' })}
          aria-expanded={form !== null}
        >
          Run now…
        </button>
        <a class="button" href={href(paths.editJob(workspace, project, job.id))}>
          Edit…
        </a>
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            act(async () => {
              await api.patchJob(job.id, { suspended: !job.suspended });
              onChange();
              return job.suspended ? 'Resumed: the schedule fires again' : 'Suspended: the schedule does not fire';
            })
          }
        >
          {job.suspended ? 'Resume' : 'Suspend'}
        </button>
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Delete…
        </button>
      </div>
      {form && (
        <form class="run-now" onSubmit={runNow}>
          <label for="override-command">Command for this run (empty: the job's)</label>
          <input
            id="override-command"
            value={form.command}
            onInput={(e) => setForm({ ...form, command: (e.target as HTMLInputElement).value })}
            placeholder={job.command.join(' ')}
          />
          <label for="override-env">Env for this run, one NAME=value a line</label>
          <textarea
            id="override-env"
            rows={3}
            value={form.env}
            onInput={(e) => setForm({ ...form, env: (e.target as HTMLTextAreaElement).value })}
          />
          <button type="submit" disabled={busy}>
            Run
          </button>
        </form>
      )}
      {confirming && (
        <div class="confirm" role="alertdialog" aria-labelledby="confirm-delete">
          <p id="confirm-delete">
            Delete <strong>{job.name}</strong>? Its runs are cancelled and removed with their logs.
          </p>
          <button
            type="button"
            class="danger"
            onClick={() =>
              act(async () => {
                await api.deleteJob(job.id);
                forgetJobNames(workspace, project);
                navigate(paths.jobs(workspace, project));
                return `Deleted ${job.name}`;
              })
            }
          >
            Delete the job
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      )}
      <OutcomeNotice outcome={outcome} />
    </div>
  );
}
