// Making and changing a webhook: one form for both (its URL, the events it subscribes to as the API lists them, the
// job it is limited to by name, a description, and once made whether it is enabled), the view that makes one, and
// the notice that shows its signing secret the one time the API gives it.
import { useState } from 'preact/hooks';
import {
  SUBSCRIBABLE_EVENTS,
  type Webhook,
  type WebhookCreate,
  type WebhookPatch,
} from '../../../client/jobs-client.ts';
import { client } from '../session.ts';
import { ErrorNotice, JobLabel, leaveIfSignedOut, useLoad } from '../components.tsx';
import { FieldMessages, fieldMessages, invalidProps, useFocusOnFirstInvalid } from '../field-errors.tsx';
import { handOver } from '../hand-over.ts';
import { jobNames } from '../job-names.ts';
import { href, navigate, paths } from '../route.ts';

type Subscribable = (typeof SUBSCRIBABLE_EVENTS)[number];

export interface WebhookDraft {
  url: string;
  events: Subscribable[];
  /** '' for every job of the project. */
  jobId: string;
  description: string;
  enabled: boolean;
}

/** The form's fields as a webhook has them, or empty for a new one. */
export function draftOf(hook?: Webhook): WebhookDraft {
  return {
    url: hook?.url ?? '',
    events: hook ? SUBSCRIBABLE_EVENTS.filter((e) => hook.events.includes(e)) : [],
    jobId: hook?.job_id ?? '',
    description: hook?.description ?? '',
    enabled: hook?.enabled ?? true,
  };
}

export function createOf(draft: WebhookDraft): WebhookCreate {
  return {
    url: draft.url.trim(),
    events: draft.events,
    ...(draft.jobId ? { job_id: draft.jobId } : {}),
    ...(draft.description.trim() ? { description: draft.description.trim() } : {}),
  };
}

/** Only the fields that differ from the webhook as read: a PATCH leaves the others as they are now. */
export function patchOf(hook: Webhook, draft: WebhookDraft): WebhookPatch {
  const was = draftOf(hook);
  const description = draft.description.trim() || null;
  return {
    ...(draft.url.trim() !== was.url ? { url: draft.url.trim() } : {}),
    ...(draft.events.join() !== was.events.join() ? { events: draft.events } : {}),
    ...(description !== hook.description ? { description } : {}),
    ...(draft.enabled !== was.enabled ? { enabled: draft.enabled } : {}),
  };
}

/**
 * The webhook's fields. `hook` given: they start as it is, its job is fixed (the API has no way to change it) and
 * Enabled is offered. An error `onSubmit` throws is shown: each field's message beside it, the whole above.
 */
export function WebhookForm({
  workspace,
  project,
  hook,
  submit,
  onSubmit,
  onCancel,
}: {
  workspace: string;
  project: string;
  hook?: Webhook;
  submit: string;
  onSubmit: (draft: WebhookDraft) => Promise<void>;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState(() => draftOf(hook));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const names = useLoad(() => (hook ? Promise.resolve(null) : jobNames(workspace, project)), [workspace, project]);
  const messages = fieldMessages(error);
  const set = (changes: Partial<WebhookDraft>) => setDraft({ ...draft, ...changes });
  const toggle = (event: Subscribable, on: boolean) =>
    set({ events: SUBSCRIBABLE_EVENTS.filter((e) => (e === event ? on : draft.events.includes(e))) });

  const form = useFocusOnFirstInvalid(error);

  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit(draft);
    } catch (failure) {
      if (!leaveIfSignedOut(failure)) setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const jobs = [...(names.data ?? new Map<string, string>())].sort(([, a], [, b]) => a.localeCompare(b));
  return (
    // The API decides what is valid, so its messages are the ones shown: the browser's own checks are off.
    <form
      ref={form}
      class="webhook-form"
      onSubmit={send}
      noValidate
      aria-label={hook ? 'Edit the webhook' : 'New webhook'}
    >
      <ErrorNotice error={error} />
      <div class="field">
        <label for="webhook-url">URL</label>
        <input
          id="webhook-url"
          type="url"
          value={draft.url}
          placeholder="https://hooks.example.com/jobs"
          autoComplete="off"
          onInput={(e) => set({ url: (e.target as HTMLInputElement).value })}
          {...invalidProps('webhook-url', messages.get('url'), 'webhook-url-hint')}
        />
        <p id="webhook-url-hint" class="hint">
          Deliveries are POSTed here: https, or plain http to this machine when the service runs locally.
        </p>
        <FieldMessages id="webhook-url" field="URL" messages={messages.get('url')} />
      </div>
      <fieldset class="field events" aria-describedby={messages.has('events') ? 'webhook-events-error' : undefined}>
        <legend>Events</legend>
        {SUBSCRIBABLE_EVENTS.map((event) => (
          <label key={event} class="check">
            <input
              type="checkbox"
              checked={draft.events.includes(event)}
              onChange={(e) => toggle(event, (e.target as HTMLInputElement).checked)}
              aria-invalid={messages.has('events') || undefined}
            />
            <code>{event}</code>
          </label>
        ))}
        <FieldMessages id="webhook-events" field="Events" messages={messages.get('events')} />
      </fieldset>
      <div class="field">
        {hook ? (
          <>
            <span class="label">Job</span>
            <p class="fixed">
              {hook.job_id ? (
                <JobLabel workspace={workspace} project={project} jobId={hook.job_id} />
              ) : (
                'Every job of the project'
              )}
              <span class="hint"> · set when it was made: make a new webhook for another job</span>
            </p>
          </>
        ) : (
          <>
            <label for="webhook-job">Job</label>
            <select
              id="webhook-job"
              value={draft.jobId}
              onChange={(e) => set({ jobId: (e.target as HTMLSelectElement).value })}
              {...invalidProps('webhook-job', messages.get('job_id'))}
            >
              <option value="">Every job of the project</option>
              {jobs.map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
            </select>
            <ErrorNotice error={names.error} />
            <FieldMessages id="webhook-job" field="Job" messages={messages.get('job_id')} />
          </>
        )}
      </div>
      <div class="field">
        <label for="webhook-description">Description (optional)</label>
        <input
          id="webhook-description"
          value={draft.description}
          autoComplete="off"
          onInput={(e) => set({ description: (e.target as HTMLInputElement).value })}
          {...invalidProps('webhook-description', messages.get('description'))}
        />
        <FieldMessages id="webhook-description" field="Description" messages={messages.get('description')} />
      </div>
      {hook && (
        <div class="field">
          <label class="check">
            <input
              type="checkbox"
              checked={draft.enabled}
              onChange={(e) => set({ enabled: (e.target as HTMLInputElement).checked })}
              {...invalidProps('webhook-enabled', messages.get('enabled'))}
            />
            Enabled: deliveries are sent
          </label>
          {hook.disabled_reason && <p class="hint">Disabled by the service: {hook.disabled_reason}</p>}
          <FieldMessages id="webhook-enabled" field="Enabled" messages={messages.get('enabled')} />
        </div>
      )}
      <div class="buttons">
        <button type="submit" disabled={busy}>
          {submit}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The project's new webhook; once made, its own view, which shows the secret this once. */
export function NewWebhook({ workspace, project }: { workspace: string; project: string }) {
  const api = client(workspace, project);
  return (
    <section>
      <h1>
        New webhook of {workspace}/{project}
      </h1>
      <p class="sub">
        Each delivery is signed as Standard Webhooks specifies, with a secret shown once, when the webhook is made.
      </p>
      <WebhookForm
        workspace={workspace}
        project={project}
        submit="Create the webhook"
        onSubmit={async (draft) => {
          const made = await api.createWebhook(createOf(draft));
          const path = paths.webhook(workspace, project, made.id);
          handOver(path, { secret: made.secret });
          // Replaced, not added: Back goes to the list, not to a form already sent.
          location.replace(href(path));
        }}
        onCancel={() => navigate(paths.webhooks(workspace, project))}
      />
    </section>
  );
}

/** The signing secret, the one time it is shown, with a button that copies it. */
export function SecretNotice({ secret }: { secret: string }) {
  const [copied, setCopied] = useState<'copied' | 'failed' | null>(null);
  return (
    <div class="notice secret" role="status">
      <p>
        <strong>Webhook created.</strong> Its signing secret, for your receiver to verify deliveries with:
      </p>
      <p class="secret-value">
        <code>{secret}</code>
        <button
          type="button"
          onClick={() =>
            // No clipboard outside a secure context: the user is told to copy it by hand then.
            void (navigator.clipboard?.writeText(secret) ?? Promise.reject()).then(
              () => setCopied('copied'),
              () => setCopied('failed'),
            )
          }
        >
          Copy<span class="visually-hidden"> the secret</span>
        </button>
        {copied === 'copied' && <span> ✓ Copied</span>}
        {copied === 'failed' && <span> Could not copy: select it and copy it by hand.</span>}
      </p>
      <p>
        <strong>It will not be shown again:</strong> copy it now. Leaving or reloading this page forgets it.
      </p>
    </div>
  );
}
