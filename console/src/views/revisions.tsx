// A job's revisions, newest first: who made each and what it changed; each can be compared side by side with the
// revision before it or with the current one, and Revert makes one current again once confirmed, only if the job is
// still as it was read. The comparison open is kept in the URL (a reload or a link opens it again), replaced in
// place: opening one is no step for Back, and the rest of the view stays as it is.
import { useState } from 'preact/hooks';
import { type Job, type JobRevision, changeText, specChanges } from '../../../client/jobs-client.ts';
import { client } from '../session.ts';
import { ErrorNotice, OutcomeNotice, useAction, useLoad } from '../components.tsx';
import { time } from '../format.ts';
import { sideBySide, valueLines, type Side } from '../line-diff.ts';
import { href, parse, paths } from '../route.ts';

/** The class a diff line is drawn with (its +, - or ~ comes from the stylesheet). */
const SIGN_CLASS = { '+': 'added', '-': 'removed', '~': 'changed' } as const;

type Against = 'previous' | 'current';
type Spec = JobRevision['spec'];
interface Open {
  revision: number;
  against: Against;
}

function openIn(query: URLSearchParams): Open | null {
  const revision = Number(query.get('revision'));
  return revision > 0 ? { revision, against: query.get('against') === 'current' ? 'current' : 'previous' } : null;
}

export function Revisions({
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
  const revisions = useLoad(() => api.listJobRevisions(job.id, { limit: 21 }), [job.id, job.revision]);
  const [outcome, act, busy] = useAction();
  const [confirming, setConfirming] = useState<JobRevision | null>(null);
  const [opened, setOpened] = useState(() => openIn(parse(location.hash).query));
  const open = opened?.revision ?? null;
  const against = opened?.against;
  // The view's other settings in the URL (its filters, its chart window) stay as they are.
  const compareHref = (revision: number | null, to?: Against) =>
    href(paths.job(workspace, project, job.id), {
      ...Object.fromEntries(parse(location.hash).query),
      revision: revision === null ? undefined : String(revision),
      against: to,
    });
  const follow = (revision: number | null, to?: Against) => (e: MouseEvent) => {
    // A new tab or window opens the link itself.
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    // Closing keeps the focus where the comparison was opened from, not on a link that is gone.
    const opener = revision === null ? document.querySelector<HTMLElement>('.revisions a[aria-current="true"]') : null;
    history.replaceState(history.state, '', compareHref(revision, to));
    setOpened(revision === null ? null : { revision, against: to ?? 'previous' });
    opener?.focus();
  };
  const items = revisions.data?.items ?? [];
  const shown = items.slice(0, 20);
  return (
    <div>
      <h2>Revisions</h2>
      <ErrorNotice error={revisions.error} />
      <ol class="revisions">
        {shown.map((revision, i) => {
          const before = items[i + 1];
          const changes = before ? specChanges(before.spec, revision.spec) : null;
          const current = revision.revision === job.revision;
          const isOpen = (to: Against) => (open === revision.revision && against === to ? 'true' : undefined);
          return (
            <li key={revision.revision}>
              <p>
                <strong>Revision {revision.revision}</strong>
                {current && <span class="badge">current</span>} · {time(revision.created_at)} · by{' '}
                <span title={revision.actor.key_id}>{revision.actor.key_name}</span>
                {!current && (
                  <button type="button" disabled={busy} onClick={() => setConfirming(revision)}>
                    Revert to {revision.revision}…
                  </button>
                )}
              </p>
              {changes === null ? (
                <p class="sub">
                  {revision.revision === 1 ? 'Created.' : 'The revisions before it are no longer kept.'}
                </p>
              ) : (
                <ul class="diff">
                  {changes.map((c) => {
                    const { sign, values } = changeText(c);
                    return (
                      <li key={c.field} class={SIGN_CLASS[sign]}>
                        <code>{c.field}</code>: {values}
                      </li>
                    );
                  })}
                </ul>
              )}
              {(before || !current) && (
                <p class="compare">
                  {before && (
                    <a
                      href={compareHref(revision.revision, 'previous')}
                      onClick={follow(revision.revision, 'previous')}
                      aria-current={isOpen('previous')}
                    >
                      Compare with revision {before.revision}
                    </a>
                  )}
                  {!current && (
                    <a
                      href={compareHref(revision.revision, 'current')}
                      onClick={follow(revision.revision, 'current')}
                      aria-current={isOpen('current')}
                    >
                      Compare with the current revision
                    </a>
                  )}
                </p>
              )}
              {open === revision.revision &&
                (against === 'previous' ? (
                  before ? (
                    <Comparison
                      before={{ name: `revision ${before.revision}`, spec: before.spec }}
                      after={{
                        name: `revision ${revision.revision}${current ? ' (current)' : ''}`,
                        spec: revision.spec,
                      }}
                      close={compareHref(null)}
                      onClose={follow(null)}
                    />
                  ) : (
                    <p class="sub">No revision before it is kept to compare it with.</p>
                  )
                ) : current ? (
                  <p class="sub">It is the current revision.</p>
                ) : (
                  <Comparison
                    before={{ name: `revision ${revision.revision}`, spec: revision.spec }}
                    after={{ name: `revision ${job.revision} (current)`, spec: job }}
                    close={compareHref(null)}
                    onClose={follow(null)}
                  />
                ))}
            </li>
          );
        })}
      </ol>
      {open !== null && revisions.data && !shown.some((r) => r.revision === open) && (
        <p class="sub">
          Revision {open} is not among the {shown.length} newest shown.{' '}
          <a href={compareHref(null)} onClick={follow(null)}>
            Close
          </a>
        </p>
      )}
      {confirming && (
        <div class="confirm" role="alertdialog" aria-labelledby="confirm-revert">
          <p id="confirm-revert">
            Make revision {confirming.revision}'s spec the job's again, as revision {job.revision + 1}? Changes:{' '}
            {specChanges(job, confirming.spec)
              .map((c) => c.field)
              .join(', ') || 'none'}
            .
          </p>
          <button
            type="button"
            onClick={() =>
              act(async () => {
                setConfirming(null);
                // Against the revision shown: a change made meanwhile is refused (412), not undone.
                const reverted = await api.revertJob(job.id, confirming.revision, job.revision);
                onChange();
                return `Reverted to revision ${confirming.revision}: now revision ${reverted.revision}`;
              })
            }
          >
            Revert
          </button>
          <button type="button" onClick={() => setConfirming(null)}>
            Keep revision {job.revision}
          </button>
        </div>
      )}
      <OutcomeNotice outcome={outcome} />
    </div>
  );
}

/** Each field that differs, its value before and after in two columns, line against line. */
function Comparison({
  before,
  after,
  close,
  onClose,
}: {
  before: { name: string; spec: Spec };
  after: { name: string; spec: Spec };
  close: string;
  onClose: (e: MouseEvent) => void;
}) {
  const changes = specChanges(before.spec, after.spec);
  return (
    <div class="side-by-side">
      {changes.length === 0 ? (
        <p class="empty">
          No field differs between {before.name} and {after.name}.
        </p>
      ) : (
        <table>
          <caption>
            Side by side, {before.name} and {after.name}: {changes.length}{' '}
            {changes.length === 1 ? 'field differs' : 'fields differ'}
          </caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before: {before.name}</th>
              <th scope="col">After: {after.name}</th>
            </tr>
          </thead>
          {changes.map((change) => {
            const rows = sideBySide(valueLines(change.before), valueLines(change.after));
            return (
              <tbody key={change.field}>
                {rows.map((row, k) => (
                  <tr key={k}>
                    {k === 0 && (
                      <th scope="rowgroup" rowSpan={rows.length}>
                        <code>{change.field}</code>
                      </th>
                    )}
                    <Line side={row.before} unset={k === 0 && change.before === undefined} />
                    <Line side={row.after} unset={k === 0 && change.after === undefined} />
                  </tr>
                ))}
              </tbody>
            );
          })}
        </table>
      )}
      <p>
        <a href={close} onClick={onClose}>
          Close the comparison
        </a>
      </p>
    </div>
  );
}

const SIGN: Record<Side['mark'], string> = { same: ' ', removed: '-', added: '+' };

/** One side of a row: a changed line carries its sign, and the word for screen readers; none where it has no line. */
function Line({ side, unset }: { side: Side | null; unset: boolean }) {
  if (!side) return <td class="gap">{unset && <span class="unset">not set</span>}</td>;
  return (
    <td class={side.mark}>
      <span class="sign" aria-hidden="true">
        {SIGN[side.mark]}
      </span>
      {side.mark !== 'same' && <span class="visually-hidden">{side.mark}: </span>}
      <code>{side.text}</code>
    </td>
  );
}
