// Webhooks: a project's subscriptions to its events, delivered signed as Standard Webhooks specifies. The
// signing secret (whsec_…) is shown once, at create and at each rotation; a rotated-out secret keeps signing
// beside the new one for a day, so receivers can switch without losing a delivery.
import { randomBytes } from 'node:crypto';
import { checkDestination, type DestinationPolicy } from './destinations.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import type { EventType } from './events.ts';
import { newId } from './ids.ts';
import type { JobStore, Page, PageRequest, ProjectRef } from './ports.ts';

/** The events a webhook may ask for (webhook.test is sent to one webhook on request, never subscribed to). */
export const SUBSCRIBABLE_EVENTS = [
  'run.started',
  'run.retrying',
  'run.succeeded',
  'run.failed',
  'run.cancelled',
  'schedule.skipped',
] as const satisfies readonly EventType[];
export type SubscribableEvent = (typeof SUBSCRIBABLE_EVENTS)[number];

export const MAX_WEBHOOKS_PER_PROJECT = 20;
/** How long a rotated-out secret keeps signing. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

export interface Webhook {
  id: string;
  workspace_id: string;
  project_id: string;
  url: string;
  events: SubscribableEvent[];
  /** Only this job's events; all of the project's otherwise. */
  job_id: string | null;
  description: string | null;
  enabled: boolean;
  /** Why the service disabled it (a 410 from the receiver), if it did. */
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface SigningSecret {
  secret: string;
  /** Until when a rotated-out secret still signs; null for the current one. */
  expires_at: string | null;
}

export interface StoredWebhook {
  webhook: Webhook;
  secrets: SigningSecret[];
}

export interface WebhookRef extends ProjectRef {
  webhook_id: string;
}

export interface WebhookCreate {
  url: string;
  events: SubscribableEvent[];
  job_id?: string | null | undefined;
  description?: string | null | undefined;
}

export interface WebhookPatch {
  url?: string | undefined;
  events?: SubscribableEvent[] | undefined;
  enabled?: boolean | undefined;
  description?: string | null | undefined;
}

export interface WebhookStore {
  /** Writes a new webhook; a ConflictError on project_id when the project already has MAX_WEBHOOKS_PER_PROJECT. */
  create(stored: StoredWebhook): Promise<void>;
  get(ref: WebhookRef): Promise<StoredWebhook | null>;
  list(ref: ProjectRef, page: PageRequest): Promise<Page<Webhook>>;
  /** The project's webhooks, all of them (at most MAX_WEBHOOKS_PER_PROJECT), for matching events. */
  forProject(ref: ProjectRef): Promise<StoredWebhook[]>;
  update(stored: StoredWebhook): Promise<void>;
  /** False when it was already gone. */
  delete(ref: WebhookRef): Promise<boolean>;
}

export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function webhookRef(webhook: Pick<Webhook, 'workspace_id' | 'project_id' | 'id'>): WebhookRef {
  return { workspace_id: webhook.workspace_id, project_id: webhook.project_id, webhook_id: webhook.id };
}

/** The secrets that sign now: the current one and any rotated out less than a day ago. */
export function signingSecrets(secrets: SigningSecret[], now: Date): string[] {
  return secrets.filter((s) => s.expires_at === null || Date.parse(s.expires_at) > now.getTime()).map((s) => s.secret);
}

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
export function subscribes(webhook: Webhook, type: EventType, jobId: string | null): boolean {
  return (
    webhook.enabled &&
    (webhook.events as readonly string[]).includes(type) &&
    (webhook.job_id === null || webhook.job_id === jobId)
  );
}
