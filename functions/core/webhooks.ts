// Webhooks: a project's subscriptions to its events, delivered signed as Standard Webhooks specifies. The
// signing secret (whsec_…) is shown once, at create and at each rotation; a rotated-out secret keeps signing
// beside the new one for a day, so receivers can switch without losing a delivery.
import { randomBytes } from 'node:crypto';
import type { EventType } from './events.ts';
import type { ProjectRef } from './pages.ts';
import type { SubscribableEvent } from './webhook-events.ts';

export { SUBSCRIBABLE_EVENTS, type SubscribableEvent } from './webhook-events.ts';

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

export function subscribes(webhook: Webhook, type: EventType, jobId: string | null): boolean {
  return (
    webhook.enabled &&
    (webhook.events as readonly string[]).includes(type) &&
    (webhook.job_id === null || webhook.job_id === jobId)
  );
}
