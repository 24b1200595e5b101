// The console's small parts: status badges (word and symbol, never colour alone), error and empty notices, the
// loader hook every view reads through, notices that confirm an action, and a pager.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Run } from '../../client/jobs-client.ts';
import { isSignedOut, signOut } from './session.ts';
import { href, navigate, paths } from './route.ts';
import { age, duration, shellText } from './format.ts';
import { jobNames } from './job-names.ts';

const SYMBOLS: Record<string, string> = {
  pending: '◷',
  running: '▶',
  succeeded: '✓',
  failed: '✗',
  cancelled: '■',
  delivered: '✓',
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status}`}>
      {SYMBOLS[status] ?? '•'} {status}
    </span>
  );
}

/** An API error as the API said it: its message and each field it names. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  const fields = error instanceof ApiError ? error.errors : [];
  return (
    <div class="notice error" role="alert">
      <strong>{error instanceof ApiError && error.status ? `Error ${error.status}: ` : 'Error: '}</strong>
      {(error as Error).message}
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** What an action said when it finished: its confirmation, or its error. */
export type Outcome = { ok: string } | { error: unknown } | null;

export function OutcomeNotice({ outcome }: { outcome: Outcome }) {
  if (!outcome) return null;
  if ('ok' in outcome)
    return (
      <div class="notice ok" role="status">
        {outcome.ok}
      </div>
    );
  return <ErrorNotice error={outcome.error} />;
}

/** Runs an action, reporting what it did (or the API's error), and sends a signed-out key back to sign-in. */
export function useAction(): [Outcome, (run: () => Promise<string>) => Promise<boolean>, boolean] {
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const act = async (run: () => Promise<string>) => {
    setBusy(true);
    try {
      setOutcome({ ok: await run() });
      return true;
    } catch (error) {
      if (leaveIfSignedOut(error)) return false;
      setOutcome({ error });
      return false;
    } finally {
      setBusy(false);
    }
  };
  return [outcome, act, busy];
}

export function leaveIfSignedOut(error: unknown): boolean {
  if (!isSignedOut(error)) return false;
  signOut();
  navigate(`/?expired=1&back=${encodeURIComponent(location.hash)}`);
  return true;
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads `load()` whenever `deps` change (and on reload); a 401 goes back to sign-in. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: null,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, error: null, loading: false }),
      (error) => {
        if (controller.signal.aborted || leaveIfSignedOut(error)) return;
        setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [...deps, generation]);
  return { ...state, reload: () => setGeneration((g) => g + 1) };
}

/** Calls `tick` every `ms` while `active`. */
export function useRefresh(active: boolean, ms: number, tick: () => void): void {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  }, [active, ms]);
}

/** Pages by cursor: the cursors seen so far make Previous possible. */
export function Pager({
  cursor,
  next,
  onPage,
}: {
  cursor: string | undefined;
  next: string | null | undefined;
  onPage: (cursor: string | undefined) => void;
}) {
  const [history, setHistory] = useState<Array<string | undefined>>([]);
  return (
    <nav class="pager" aria-label="Pages">
      <button
        type="button"
        disabled={history.length === 0}
        onClick={() => {
          const previous = history.at(-1);
          setHistory(history.slice(0, -1));
          onPage(previous);
        }}
      >
        ← Previous
      </button>
      <button
        type="button"
        disabled={!next}
        onClick={() => {
          setHistory([...history, cursor]);
          onPage(next ?? undefined);
        }}
      >
        Next →
      </button>
    </nav>
  );
}

/** Where a waiting run stands: its place in its workspace's queue and why it waits (nothing once it runs). */
export function QueuePlace({ run }: { run: Run }) {
  if (!run.queue) return null;
  return (
    <span class="queue" title={`waiting since ${new Date(run.queue.since).toLocaleString()}`}>
      #{run.queue.position} · {run.queue.reason}
    </span>
  );
}

/** Runs as a table, newest first: a job's (`columns` none), or a project's or workspace's (with the job, and the project). */
/**
 * A job by its name, linking to it, its id on hover; its id while the names load, and "a deleted job" (with its id)
 * once it is gone.
 */
export function JobLabel({ workspace, project, jobId }: { workspace: string; project: string; jobId: string }) {
  const names = useLoad(() => jobNames(workspace, project, jobId), [workspace, project, jobId]);
  const name = names.data?.get(jobId);
  const gone = names.data !== undefined && name === undefined;
  return gone ? (
    <span class="sub" title={jobId}>
      a deleted job (<code>{jobId}</code>)
    </span>
  ) : (
    <a href={href(paths.job(workspace, project, jobId))} title={jobId}>
      {name ?? <code>{jobId}</code>}
    </a>
  );
}

/** A command as shell text, with a button that copies it. */
export function CommandText({ command }: { command: readonly string[] }) {
  const [copied, setCopied] = useState(false);
  const text = shellText(command);
  return (
    <span class="command">
      <code>{text}</code>{' '}
      <button
        type="button"
        class="link"
        onClick={() =>
          void navigator.clipboard?.writeText(text).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}

export function RunsTable({ runs, columns = [] }: { runs: Run[]; columns?: Array<'project' | 'job'> }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Run</th>
          {columns.includes('project') && <th scope="col">Project</th>}
          {columns.includes('job') && <th scope="col">Job</th>}
          <th scope="col">Status</th>
          <th scope="col">Trigger</th>
          <th scope="col">Created</th>
          <th scope="col">Duration</th>
          <th scope="col">Exit</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.id}>
            <td>
              <a href={href(paths.run(run.workspace_id, run.project_id, run.job_id, run.id))}>
                <code>{run.id}</code>
              </a>
            </td>
            {columns.includes('project') && <td>{run.project_id}</td>}
            {columns.includes('job') && (
              <td>
                <JobLabel workspace={run.workspace_id} project={run.project_id} jobId={run.job_id} />
              </td>
            )}
            <td>
              <StatusBadge status={run.status} />
              <QueuePlace run={run} />
            </td>
            <td>{run.trigger}</td>
            <td>{age(run.created_at)}</td>
            <td>{duration(run.duration_ms)}</td>
            <td>{run.exit_code ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A text filter: typing changes only the field, Enter or leaving it applies the text. The field follows the
 * applied value (a link, the back button) except while it holds typing not yet applied: an applied value that
 * arrives late (the render of an earlier Enter) never overwrites what the user is typing.
 */
export function FilterInput({
  id,
  value,
  placeholder,
  onApply,
}: {
  id: string;
  value: string;
  placeholder?: string;
  onApply: (value: string) => void;
}) {
  const [text, setText] = useState(value);
  const typing = useRef(false);
  useEffect(() => {
    if (!typing.current) setText(value);
  }, [value]);
  return (
    <input
      id={id}
      value={text}
      placeholder={placeholder}
      onInput={(e) => {
        typing.current = true;
        setText((e.target as HTMLInputElement).value);
      }}
      onChange={(e) => {
        typing.current = false;
        onApply((e.target as HTMLInputElement).value);
      }}
    />
  );
}
