// The events a webhook may subscribe to, apart from webhooks.ts (which signs with node:crypto), so the web console's
// bundle offers exactly the list the API accepts.
import { ALERT_EVENT_TYPES } from './alert-rules.ts';
import type { EventType } from './events.ts';

/** The events a webhook may ask for (webhook.test is sent to one webhook on request, never subscribed to). */
export const SUBSCRIBABLE_EVENTS = [
  'run.started',
  'run.retrying',
  'run.succeeded',
  'run.failed',
  'run.cancelled',
  'schedule.skipped',
  ...ALERT_EVENT_TYPES,
] as const satisfies readonly EventType[];
export type SubscribableEvent = (typeof SUBSCRIBABLE_EVENTS)[number];
