// A project's webhooks, and one webhook with its deliveries: Test sends a webhook.test event now, Redeliver tries
// a delivery again now.
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
import { href, paths } from '../route.ts';

export function Webhooks({ workspace, project }: { workspace: string; project: string }) {
  const hooks = useLoad(() => client(workspace, project).listWebhooks({ limit: 100 }), [workspace, project]);
  return (
    <section>
      <h1>
        Webhooks of {workspace}/{project}
      </h1>
      <ErrorNotice error={hooks.error} />
      {hooks.data && hooks.data.items.length === 0 && (
        <Empty>
          No webhooks yet. Add one with <code>jobs webhooks create --url https://… --events run.failed</code>.
        </Empty>
      )}
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
}: {
  workspace: string;
  project: string;
  webhookId: string;
}) {
  const api = client(workspace, project);
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
      <ErrorNotice error={hook.error} />
      {hook.data && (
        <p class="sub">
          {hook.data.events.join(', ')} · {hook.data.enabled ? 'enabled' : 'disabled'}
        </p>
      )}
      <div class="buttons">
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
      </div>
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
