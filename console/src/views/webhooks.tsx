// A project's webhooks, and one webhook with its deliveries: Test sends a webhook.test event now, Redeliver tries
// a delivery again now; New webhook, Edit and Delete (once confirmed) change them.
import { useState } from 'preact/hooks';
import { client } from '../session.ts';
import {
  Empty,
  ErrorNotice,
  JobLabel,
  OutcomeNotice,
  StatusBadge,
  useAction,
  useLoad,
  useRefresh,
} from '../components.tsx';
import { age, time } from '../format.ts';
import { handOver, useHandOver } from '../hand-over.ts';
import { href, navigate, paths } from '../route.ts';
import { patchOf, SecretNotice, WebhookForm } from './webhook-form.tsx';

export function Webhooks({ workspace, project }: { workspace: string; project: string }) {
  const hooks = useLoad(() => client(workspace, project).listWebhooks({ limit: 100 }), [workspace, project]);
  const deleted = useHandOver<{ deleted: string }>(paths.webhooks(workspace, project))?.deleted;
  return (
    <section>
      <h1>
        Webhooks of {workspace}/{project}
      </h1>
      {deleted && (
        <div class="notice ok" role="status">
          Deleted the webhook to {deleted}
        </div>
      )}
      <div class="buttons">
        <a class="button" href={href(paths.newWebhook(workspace, project))}>
          New webhook
        </a>
      </div>
      <ErrorNotice error={hooks.error} />
      {hooks.data && hooks.data.items.length === 0 && <Empty>No webhooks yet: add one with New webhook.</Empty>}
      {hooks.data && hooks.data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Job</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {hooks.data.items.map((hook) => (
              <tr key={hook.id}>
                <td>
                  <a href={href(paths.webhook(workspace, project, hook.id))}>{hook.url}</a>
                </td>
                <td>{hook.events.join(', ')}</td>
                <td>
                  {hook.job_id ? <JobLabel workspace={workspace} project={project} jobId={hook.job_id} /> : 'every job'}
                </td>
                <td>
                  {hook.enabled ? 'enabled' : `disabled${hook.disabled_reason ? `: ${hook.disabled_reason}` : ''}`}
                </td>
                <td>{age(hook.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function WebhookView({
  workspace,
  project,
  webhookId,
  query,
}: {
  workspace: string;
  project: string;
  webhookId: string;
  query: URLSearchParams;
}) {
  const api = client(workspace, project);
  const here = paths.webhook(workspace, project, webhookId);
  const editing = query.get('edit') === '1';
  // Only when it was just made, and only this once.
  const secret = useHandOver<{ secret: string }>(here)?.secret;
  const saved = useHandOver<{ saved: string }>(`${here}?saved`, editing)?.saved;
  const [confirming, setConfirming] = useState(false);
  const hook = useLoad(() => api.getWebhook(webhookId), [webhookId]);
  const deliveries = useLoad(() => api.listDeliveries(webhookId, { limit: 50 }), [webhookId]);
  const [outcome, act, busy] = useAction();
  useRefresh(
    (deliveries.data?.items ?? []).some((d) => d.status === 'pending'),
    2000,
    deliveries.reload,
  );
  return (
    <section>
      <h1>Webhook {hook.data ? hook.data.url : webhookId}</h1>
      {secret && <SecretNotice secret={secret} />}
      {saved && !editing && (
        <div class="notice ok" role="status">
          {saved}
        </div>
      )}
      <ErrorNotice error={hook.error} />
      {hook.data && (
        <p class="sub">
          {hook.data.events.join(', ')} · {hook.data.job_id ? 'only ' : 'every job'}
          {hook.data.job_id && <JobLabel workspace={workspace} project={project} jobId={hook.data.job_id} />} ·{' '}
          {hook.data.enabled ? 'enabled' : 'disabled'}
          {hook.data.description ? ` · ${hook.data.description}` : ''}
        </p>
      )}
      {editing && hook.data && <h2>Edit the webhook</h2>}
      {editing && hook.data && (
        <WebhookForm
          workspace={workspace}
          project={project}
          hook={hook.data}
          submit="Save"
          onSubmit={async (draft) => {
            const patch = patchOf(hook.data!, draft);
            const fields = Object.keys(patch);
            if (fields.length > 0) await api.patchWebhook(webhookId, patch);
            hook.reload();
            handOver(`${here}?saved`, {
              saved: fields.length ? `Saved: ${fields.join(', ')}` : 'Nothing to save: no field changed',
            });
            navigate(here);
          }}
          onCancel={() => navigate(here)}
        />
      )}
      {/* While the form is open, what it shows is not yet saved: the actions wait for it to close. */}
      {!editing && (
        <div class="buttons">
          <a class="button" href={href(here, { edit: '1' })}>
            Edit
          </a>
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              act(async () => {
                const d = await api.testWebhook(webhookId);
                deliveries.reload();
                return `Test event sent: delivery ${d.id}`;
              })
            }
          >
            Send a test event
          </button>
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            Delete…
          </button>
        </div>
      )}
      {confirming && !editing && (
        <div class="confirm" role="alertdialog" aria-labelledby="confirm-delete-webhook">
          <p id="confirm-delete-webhook">
            Delete the webhook to <strong>{hook.data?.url ?? webhookId}</strong>? No delivery is attempted after this,
            not even one waiting for a retry.
          </p>
          <button
            type="button"
            class="danger"
            disabled={busy}
            onClick={() =>
              act(async () => {
                await api.deleteWebhook(webhookId);
                handOver(paths.webhooks(workspace, project), { deleted: hook.data?.url ?? webhookId });
                navigate(paths.webhooks(workspace, project));
                return 'Deleted';
              })
            }
          >
            Delete the webhook
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      )}
      <OutcomeNotice outcome={outcome} />
      <h2>Deliveries</h2>
      <ErrorNotice error={deliveries.error} />
      {deliveries.data && deliveries.data.items.length === 0 && (
        <Empty>No deliveries yet: they appear when a run it subscribes to changes, or after Send a test event.</Empty>
      )}
      {deliveries.data && deliveries.data.items.length > 0 && (
        <table class="deliveries">
          <thead>
            <tr>
              <th scope="col">Delivery</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">Next attempt</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {deliveries.data.items.map((d) => (
              <tr key={d.id}>
                <td>
                  <code>{d.id}</code>
                </td>
                <td>{d.event_type}</td>
                <td>
                  <StatusBadge status={d.status} />
                </td>
                <td>{d.attempts}</td>
                <td>
                  {d.last_status_code ?? '—'}
                  {d.last_error ? ` · ${d.last_error}` : ''}
                </td>
                <td>{d.next_attempt_at ? time(d.next_attempt_at) : '—'}</td>
                <td>
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() =>
                      act(async () => {
                        await api.redeliver(webhookId, d.id);
                        deliveries.reload();
                        return `Delivery ${d.id} sent again`;
                      })
                    }
                  >
                    Redeliver<span class="visually-hidden"> {d.id}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
