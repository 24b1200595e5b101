// The webhook service: a project's webhooks created (their signing secret shown once), listed, changed, rotated
// and deleted, each destination checked as it is given.
import { auditEntry, changedFields, type AuditAction, type AuditEntry, type Requester } from './audit.ts';
import { checkDestination } from './destinations.ts';
import type { DestinationPolicy } from './ports.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { newId } from './ids.ts';
import type { JobStore, Page, PageRequest, ProjectRef, WebhookStore } from './ports.ts';
import {
  newSigningSecret,
  ROTATION_OVERLAP_MS,
  type StoredWebhook,
  type Webhook,
  type WebhookCreate,
  type WebhookPatch,
  type WebhookRef,
} from './webhooks.ts';

export class WebhookService {
  readonly #store: WebhookStore;
  readonly #jobs: JobStore;
  readonly #destinations: DestinationPolicy;
  readonly #now: () => Date;

  constructor(deps: { store: WebhookStore; jobs: JobStore; destinations: DestinationPolicy; now?: () => Date }) {
    this.#store = deps.store;
    this.#jobs = deps.jobs;
    this.#destinations = deps.destinations;
    this.#now = deps.now ?? (() => new Date());
  }

  async create(
    ref: ProjectRef,
    input: WebhookCreate,
    requester?: Requester,
  ): Promise<{ webhook: Webhook; secret: string }> {
    await checkDestination(input.url, this.#destinations);
    if (input.job_id && !(await this.#jobs.get(ref, input.job_id)))
      throw ValidationError.field('job_id', `no job ${input.job_id} in this project`);
    const now = this.#now().toISOString();
    const webhook: Webhook = {
      id: newId('wh'),
      workspace_id: ref.workspace_id,
      project_id: ref.project_id,
      url: input.url,
      events: [...new Set(input.events)],
      job_id: input.job_id ?? null,
      description: input.description ?? null,
      enabled: true,
      disabled_reason: null,
      created_at: now,
      updated_at: now,
    };
    const secret = newSigningSecret();
    const audit =
      requester && this.#audit(requester, 'webhook.create', webhook, changedFields(null, shownFields(webhook)));
    await this.#store.create({ webhook, secrets: [{ secret, expires_at: null }] }, audit);
    return { webhook, secret };
  }

  async get(ref: WebhookRef): Promise<Webhook> {
    return (await this.#require(ref)).webhook;
  }

  list(ref: ProjectRef, page: PageRequest): Promise<Page<Webhook>> {
    return this.#store.list(ref, page);
  }

  async patch(ref: WebhookRef, patch: WebhookPatch, requester?: Requester): Promise<Webhook> {
    const stored = await this.#require(ref);
    if (patch.url !== undefined) await checkDestination(patch.url, this.#destinations);
    const webhook: Webhook = {
      ...stored.webhook,
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.events !== undefined ? { events: [...new Set(patch.events)] } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      // Enabling again clears why the service had disabled it.
      ...(patch.enabled !== undefined
        ? { enabled: patch.enabled, disabled_reason: patch.enabled ? null : stored.webhook.disabled_reason }
        : {}),
      updated_at: this.#now().toISOString(),
    };
    const changes = changedFields(shownFields(stored.webhook), shownFields(webhook));
    await this.#store.update(
      { ...stored, webhook },
      requester && this.#audit(requester, 'webhook.update', webhook, changes),
    );
    return webhook;
  }

  async delete(ref: WebhookRef, requester?: Requester): Promise<void> {
    let audit: AuditEntry | undefined;
    if (requester) {
      const { webhook } = await this.#require(ref);
      audit = this.#audit(requester, 'webhook.delete', webhook, changedFields(shownFields(webhook), null));
    }
    if (!(await this.#store.delete(ref, audit))) throw new NotFoundError('webhook', ref.webhook_id);
  }

  /** The audit entry of a change to a webhook (its signing secrets never among the changes). */
  #audit(requester: Requester, action: AuditAction, webhook: Webhook, changes: AuditEntry['changes']): AuditEntry {
    const target = { project_id: webhook.project_id, webhook_id: webhook.id };
    return auditEntry(requester, action, webhook.workspace_id, target, changes, this.#now());
  }

  /** A new current secret; the old one signs beside it for a day. */
  async rotateSecret(ref: WebhookRef, requester?: Requester): Promise<{ webhook: Webhook; secret: string }> {
    const stored = await this.#require(ref);
    const now = this.#now();
    const expires = new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString();
    const kept = stored.secrets.filter((s) => s.expires_at === null || Date.parse(s.expires_at) > now.getTime());
    const secret = newSigningSecret();
    const secrets = [
      { secret, expires_at: null },
      ...kept.map((s) => (s.expires_at === null ? { ...s, expires_at: expires } : s)),
    ];
    const webhook = { ...stored.webhook, updated_at: now.toISOString() };
    // The secret is never told: the change is that there is a new one.
    const audit = requester && this.#audit(requester, 'webhook.rotate', webhook, { secret: ['(previous)', '(new)'] });
    await this.#store.update({ webhook, secrets }, audit);
    return { webhook, secret };
  }

  async #require(ref: WebhookRef): Promise<StoredWebhook> {
    const stored = await this.#store.get(ref);
    if (!stored) throw new NotFoundError('webhook', ref.webhook_id);
    return stored;
  }
}

/** Whether a webhook is told of an event of this type about this job. */

/** What a webhook's audit entry compares: what the API shows of it, but its times. */
function shownFields(webhook: Webhook): Record<string, unknown> {
  const { created_at: _created, updated_at: _updated, ...fields } = webhook;
  return fields;
}
