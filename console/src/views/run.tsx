// A run: its timeline, exit code, error, usage and attempts, its tasks when it has several, its logs following
// live while it runs, and Cancel (graceful or force) and Rerun.
import { useEffect, useRef, useState } from 'preact/hooks';
import { isActive, type LogLine, type Run, type RunTask } from '../../../client/jobs-client.ts';
import { client } from '../session.ts';
import {
  CommandText,
  ErrorNotice,
  JobLabel,
  OutcomeNotice,
  StatusBadge,
  leaveIfSignedOut,
  useAction,
  useLoad,
} from '../components.tsx';
import { bytes, duration, time } from '../format.ts';
import { href, navigate, paths } from '../route.ts';

export function RunView({
  workspace,
  project,
  jobId,
  runId,
}: {
  workspace: string;
  project: string;
  jobId: string;
  runId: string;
}) {
  const api = client(workspace, project);
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [outcome, act, busy] = useAction();

  // The run as it changes: a held read answers as soon as it finishes (or after 20 s), and is asked again.
  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      let current = await api.getRun(jobId, runId, undefined, controller.signal);
      setRun(current);
      while (isActive(current) && !controller.signal.aborted) {
        current = await api.getRun(jobId, runId, current.status === 'pending' ? 1 : 20, controller.signal);
        setRun(current);
      }
    })().catch((e) => !controller.signal.aborted && !leaveIfSignedOut(e) && setError(e));
    return () => controller.abort();
  }, [runId]);

  if (error) return <ErrorNotice error={error} />;
  if (!run) return <p aria-live="polite">Loading the run…</p>;
  const cancel = (mode: 'graceful' | 'force') =>
    act(async () => {
      setRun(await api.cancel(jobId, runId, { mode }));
      return `Cancelled (${mode})`;
    });
  return (
    <section>
      <h1>
        Run <code>{run.id}</code> <StatusBadge status={run.status} />
      </h1>
      <p class="sub">
        of <JobLabel workspace={workspace} project={project} jobId={jobId} /> · {run.trigger} · priority {run.priority}
      </p>
      <Chain workspace={workspace} project={project} run={run} />
      {run.queue && (
        <p class="notice" aria-live="polite">
          Waiting to start: #{run.queue.position} in the queue of {workspace} · {run.queue.reason} · since{' '}
          {new Date(run.queue.since).toLocaleTimeString()}
        </p>
      )}
      <div class="buttons">
        {isActive(run) && (
          <button type="button" disabled={busy} onClick={() => cancel('graceful')}>
            Cancel (graceful)
          </button>
        )}
        {isActive(run) && (
          <button type="button" class="danger" disabled={busy} onClick={() => cancel('force')}>
            Cancel (force)
          </button>
        )}
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            act(async () => {
              const again = await api.rerun(jobId, runId);
              navigate(paths.run(workspace, project, jobId, again.id));
              return `Rerun ${again.id} started`;
            })
          }
        >
          Rerun
        </button>
      </div>
      <OutcomeNotice outcome={outcome} />
      <ol class="timeline" aria-label="Timeline">
        <li>
          <span>Created</span> <time dateTime={run.created_at}>{time(run.created_at)}</time>
        </li>
        <li>
          <span>Started</span>{' '}
          {run.started_at ? <time dateTime={run.started_at}>{time(run.started_at)}</time> : 'not yet'}
        </li>
        <li>
          <span>Finished</span>{' '}
          {run.finished_at ? <time dateTime={run.finished_at}>{time(run.finished_at)}</time> : 'not yet'}
        </li>
        <li>
          <span>Duration</span> {duration(run.duration_ms)}
        </li>
      </ol>
      <dl class="spec">
        <dt>Exit code</dt>
        <dd>{run.exit_code ?? '—'}</dd>
        <dt>Error</dt>
        <dd>{run.error ?? '—'}</dd>
        <dt>Attempt</dt>
        <dd>{run.attempt}</dd>
        <dt>Tasks</dt>
        <dd>
          {run.tasks.count === 1
            ? '1'
            : `${run.tasks.count} (${run.tasks.succeeded} succeeded, ${run.tasks.failed} failed, ${run.tasks.running} running, ${run.parallelism} at once)`}
        </dd>
        <dt>Usage</dt>
        <dd>{run.usage ? `${run.usage.cpu_seconds ?? '—'} CPU s, peak ${bytes(run.usage.peak_memory_bytes)}` : '—'}</dd>
        <dt>Image</dt>
        <dd>{run.image}</dd>
        <dt>Command</dt>
        <dd>
          <CommandText command={run.command} />
        </dd>
        <dt>Backend</dt>
        <dd>
          {run.backend.runner} · {run.backend.task ?? '—'}
        </dd>
      </dl>
      {run.tasks.count > 1 && <Tasks workspace={workspace} project={project} jobId={jobId} run={run} />}
      <Logs workspace={workspace} project={project} jobId={jobId} run={run} />
    </section>
  );
}

function Tasks({ workspace, project, jobId, run }: { workspace: string; project: string; jobId: string; run: Run }) {
  const api = client(workspace, project);
  // Read again each time the run's counts move.
  const tasks = useLoad(async () => {
    const all: RunTask[] = [];
    for await (const task of api.all((cursor) => api.listRunTasks(jobId, run.id, { limit: 100, cursor })))
      all.push(task);
    return all;
  }, [run.id, JSON.stringify(run.tasks)]);
  return (
    <div>
      <h2>Tasks</h2>
      <ErrorNotice error={tasks.error} />
      <ul class="tasks" aria-label="Tasks">
        {(tasks.data ?? []).map((task) => (
          <li key={task.index} class={`task status-${task.status}`} title={task.error ?? ''}>
            <span class="index">#{task.index}</span> <StatusBadge status={task.status} />
            <span class="detail">
              attempt {task.attempt}
              {task.exit_code !== null ? `, exit ${task.exit_code}` : ''}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

const MAX_LINES = 20_000;

function Logs({ workspace, project, jobId, run }: { workspace: string; project: string; jobId: string; run: Run }) {
  const api = client(workspace, project);
  const [lines, setLines] = useState<LogLine[]>([]);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [filter, setFilter] = useState('');
  const [attempt, setAttempt] = useState('');
  const [task, setTask] = useState('');
  const [following, setFollowing] = useState(true);
  const box = useRef<HTMLDivElement>(null);

  // Follows the run's lines through the cursor long-poll, every line once, until the run is whole.
  useEffect(() => {
    const controller = new AbortController();
    setLines([]);
    setDone(false);
    setError(null);
    (async () => {
      let batch: LogLine[] = [];
      let flush: number | undefined;
      const query = { ...(attempt ? { attempt: Number(attempt) } : {}), ...(task ? { task: Number(task) } : {}) };
      for await (const line of api.followRun(jobId, run.id, query, controller.signal)) {
        batch.push(line);
        // Lines arriving together are drawn together, once a frame.
        flush ??= requestAnimationFrame(() => {
          const taken = batch;
          batch = [];
          flush = undefined;
          setLines((previous) => [...previous, ...taken].slice(-MAX_LINES));
        });
      }
      if (flush !== undefined) cancelAnimationFrame(flush);
      const rest = batch;
      setLines((previous) => [...previous, ...rest].slice(-MAX_LINES));
      setDone(true);
    })().catch((e) => !controller.signal.aborted && !leaveIfSignedOut(e) && setError(e));
    return () => controller.abort();
  }, [run.id, attempt, task]);

  useEffect(() => {
    if (following && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, following]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    // Scrolled up: the view stays where the reader is; back at the bottom, it follows again.
    setFollowing(el.scrollTop + el.clientHeight >= el.scrollHeight - 8);
  };
  const shown = filter ? lines.filter((line) => line.message.includes(filter)) : lines;
  return (
    <div class="logs">
      <h2>Logs</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label for="log-filter">Lines containing</label>
        <input id="log-filter" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        <label for="log-attempt">Attempt</label>
        <select id="log-attempt" value={attempt} onChange={(e) => setAttempt((e.target as HTMLSelectElement).value)}>
          <option value="">all</option>
          {Array.from({ length: Math.max(1, run.attempt) }, (_, i) => (
            <option key={i} value={String(i + 1)}>
              {i + 1}
            </option>
          ))}
        </select>
        {run.tasks.count > 1 && (
          <>
            <label for="log-task">Task</label>
            <select id="log-task" value={task} onChange={(e) => setTask((e.target as HTMLSelectElement).value)}>
              <option value="">all</option>
              {Array.from({ length: run.tasks.count }, (_, i) => (
                <option key={i} value={String(i)}>
                  {i}
                </option>
              ))}
            </select>
          </>
        )}
      </form>
      <p class="log-state" aria-live="polite">
        {done ? `Complete: ${lines.length} lines.` : `Following… ${lines.length} lines so far.`}
        {!following && (
          <>
            {' '}
            Scrolled up: new lines are not scrolled to.{' '}
            <button type="button" onClick={() => setFollowing(true)}>
              Follow again
            </button>
          </>
        )}
      </p>
      <ErrorNotice error={error} />
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to scroll by keyboard */}
      <div class="log-lines" ref={box} onScroll={onScroll} tabIndex={0} role="log" aria-label="Log lines">
        {shown.length === 0 ? (
          <p class="empty">{done ? 'The run wrote no line.' : 'No line yet.'}</p>
        ) : (
          shown.map((line, i) => (
            <div key={i} class={`line ${line.stream}`}>
              <span class="ts">{line.timestamp.slice(11, 23)}</span>
              {run.tasks.count > 1 && <span class="task-index">#{line.task_index}</span>}
              {line.stream === 'stderr' && <span class="stream">err</span>}
              <span class="message">{line.message}</span>
            </div>
          ))
        )}
      </div>
    </div>
  );
}

/**
 * Where the run stands in a chain: the run whose end started it (run_after), and the runs its end started (found
 * among the project's newest runs started so).
 */
function Chain({ workspace, project, run }: { workspace: string; project: string; run: Run }) {
  const api = client(workspace, project);
  const started = useLoad(
    async () =>
      run.finished_at === null
        ? []
        : (await api.listRuns({ trigger: 'dependency', limit: 100 })).items.filter(
            (other) => other.caused_by?.run_id === run.id,
          ),
    [run.id, run.finished_at],
  );
  const link = (jobId: string, runId: string) => (
    <>
      <a href={href(paths.run(workspace, project, jobId, runId))} title={runId}>
        the run
      </a>{' '}
      of <JobLabel workspace={workspace} project={project} jobId={jobId} />
    </>
  );
  const after = started.data ?? [];
  if (!run.caused_by && after.length === 0) return null;
  return (
    <p class="sub chain">
      {run.caused_by && <>Started after {link(run.caused_by.job_id, run.caused_by.run_id)} ended. </>}
      {after.length > 0 && (
        <>
          Its end started{' '}
          {after.map((other, i) => (
            <span key={other.id}>
              {i > 0 && ', '}
              {link(other.job_id, other.id)}
            </span>
          ))}
          .
        </>
      )}
    </p>
  );
}
