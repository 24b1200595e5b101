// What a webhook delivery is: one per event and subscribed webhook, with its attempts and the time of its next
// one; and the schedule its retries wait on (delivery-service.ts attempts them).
import type { ServiceEvent } from './events.ts';
import type { WebhookRef } from './webhooks.ts';

/** The wait before each retry: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (then the delivery fails). */
export const RETRY_SCHEDULE_MS = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000,
];
export const DELIVERY_TIMEOUT_MS = 15_000;

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface Delivery {
  /** dlv_ and the event's ULID: one delivery per event and webhook. */
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: ServiceEvent['type'];
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

export interface DeliveryRef extends WebhookRef {
  delivery_id: string;
}

export interface StoredDelivery {
  delivery: Delivery;
  /** Where it belongs, and what is sent (the same body on every attempt). */
  workspace_id: string;
  project_id: string;
  event: ServiceEvent;
}

/** A pending delivery and the time its next attempt is due. */
export interface DueDelivery extends DeliveryRef {
  at: string;
}

/** How long past its time a delivery must be before a sweep hands it on again (its notice was lost). */
export const OVERDUE_MS = 120_000;

export function deliveryId(eventId: string): string {
  return `dlv_${eventId.slice(eventId.indexOf('_') + 1)}`;
}
