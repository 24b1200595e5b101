// The webhook service: a project's webhooks created (their signing secret shown once), listed, changed, rotated
// and deleted, each destination checked as it is given.
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

  async create(ref: ProjectRef, input: WebhookCreate): Promise<{ webhook: Webhook; secret: string }> {
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
    await this.#store.create({ webhook, secrets: [{ secret, expires_at: null }] });
    return { webhook, secret };
  }

  async get(ref: WebhookRef): Promise<Webhook> {
    return (await this.#require(ref)).webhook;
  }

  list(ref: ProjectRef, page: PageRequest): Promise<Page<Webhook>> {
    return this.#store.list(ref, page);
  }

  async patch(ref: WebhookRef, patch: WebhookPatch): Promise<Webhook> {
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
    await this.#store.update({ ...stored, webhook });
    return webhook;
  }

  async delete(ref: WebhookRef): Promise<void> {
    if (!(await this.#store.delete(ref))) throw new NotFoundError('webhook', ref.webhook_id);
  }

  /** A new current secret; the old one signs beside it for a day. */
  async rotateSecret(ref: WebhookRef): Promise<{ webhook: Webhook; secret: string }> {
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
    await this.#store.update({ webhook, secrets });
    return { webhook, secret };
  }

  async #require(ref: WebhookRef): Promise<StoredWebhook> {
    const stored = await this.#store.get(ref);
    if (!stored) throw new NotFoundError('webhook', ref.webhook_id);
    return stored;
  }
}

/** Whether a webhook is told of an event of this type about this job. */
