// Webhook deliveries at work: one made per event and subscribed webhook when the event is handed on, attempted
// until a 2xx, retried on the schedule (or later, when the receiver asks with Retry-After), then failed. A 410
// disables the webhook; a deleted webhook is never delivered to again. Each delivery waits in the store with its
// next attempt time, so a restart loses none; the host's queue is told of each one, to attempt it at that time.
import type { MetricsRecorder } from './service-metrics.ts';
import {
  deliveryId,
  DELIVERY_TIMEOUT_MS,
  OVERDUE_MS,
  RETRY_SCHEDULE_MS,
  type Delivery,
  type DeliveryRef,
  type DeliveryStatus,
  type DueDelivery,
  type StoredDelivery,
} from './deliveries.ts';
import { resolveDestination } from './destinations.ts';
import type { DestinationPolicy } from './ports.ts';
import type { EventSink } from './ports.ts';
import { NotFoundError } from './errors.ts';
import { webhookTestEvent, type ServiceEvent } from './events.ts';
import type { DeliveryQueue, DeliveryStore, Page, PageRequest, Send, SendResult, WebhookStore } from './ports.ts';
import { sign } from './signing.ts';
import { signingSecrets, subscribes, webhookRef, type Webhook, type WebhookRef } from './webhooks.ts';

function dueOf(stored: StoredDelivery): DueDelivery[] {
  const { delivery } = stored;
  if (delivery.status !== 'pending' || !delivery.next_attempt_at) return [];
  return [
    {
      workspace_id: stored.workspace_id,
      project_id: stored.project_id,
      webhook_id: delivery.webhook_id,
      delivery_id: delivery.id,
      at: delivery.next_attempt_at,
    },
  ];
}

/** The time a Retry-After header asks for (seconds or an HTTP date), when later than the schedule's. */
function retryAfterMs(header: string | null, now: Date): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

export class Deliverer implements EventSink {
  readonly #webhooks: WebhookStore;
  readonly #deliveries: DeliveryStore;
  readonly #send: Send;
  readonly #destinations: DestinationPolicy;
  readonly #schedule: readonly number[];
  readonly #metrics: Pick<MetricsRecorder, 'delivery'> | undefined;
  readonly #timeoutMs: number;
  readonly #now: () => Date;
  readonly #queue: DeliveryQueue | undefined;

  constructor(deps: {
    webhooks: WebhookStore;
    deliveries: DeliveryStore;
    send: Send;
    destinations: DestinationPolicy;
    /** Tests shorten the schedule and the timeout; RETRY_SCHEDULE_MS and DELIVERY_TIMEOUT_MS otherwise. */
    schedule?: readonly number[];
    timeoutMs?: number;
    now?: () => Date;
    /** Told of each delivery made or rescheduled; without one, deliveries wait in the store for a sweep. */
    queue?: DeliveryQueue;
    /** Counts each attempt's outcome. */
    metrics?: Pick<MetricsRecorder, 'delivery'>;
  }) {
    this.#webhooks = deps.webhooks;
    this.#deliveries = deps.deliveries;
    this.#send = deps.send;
    this.#destinations = deps.destinations;
    this.#schedule = deps.schedule ?? RETRY_SCHEDULE_MS;
    this.#timeoutMs = deps.timeoutMs ?? DELIVERY_TIMEOUT_MS;
    this.#now = deps.now ?? (() => new Date());
    this.#queue = deps.queue;
    this.#metrics = deps.metrics;
  }

  /** The EventSink: one pending delivery per subscribed webhook of the event's project. */
  async publish(events: ServiceEvent[]): Promise<{ failed: string[] }> {
    const failed = new Set<string>();
    const due: Array<{ event: string; due: DueDelivery[] }> = [];
    const byProject = new Map<string, Promise<Webhook[]>>();
    for (const event of events) {
      try {
        const key = `${event.data.workspace_id}/${event.data.project_id}`;
        const hooks =
          byProject.get(key) ?? this.#webhooks.forProject(event.data).then((all) => all.map((s) => s.webhook));
        byProject.set(key, hooks);
        for (const webhook of (await hooks).filter((w) => subscribes(w, event.type, event.data.job_id))) {
          due.push({ event: event.id, due: dueOf(await this.#create(webhook, event)) });
        }
      } catch {
        failed.add(event.id);
      }
    }
    // An event whose deliveries the queue was not told of is handed on again: making them again finds them made.
    try {
      await this.#queue?.enqueue(due.flatMap((d) => d.due));
    } catch {
      for (const d of due) failed.add(d.event);
    }
    return { failed: [...failed] };
  }

  /** A pending delivery of the event to the webhook, due now, handed to the queue; the existing one if made before. */
  async create(webhook: Webhook, event: ServiceEvent): Promise<Delivery> {
    const stored = await this.#create(webhook, event);
    await this.#queue?.enqueue(dueOf(stored));
    return stored.delivery;
  }

  async #create(webhook: Webhook, event: ServiceEvent): Promise<StoredDelivery> {
    const now = this.#now().toISOString();
    const delivery: Delivery = {
      id: deliveryId(event.id),
      webhook_id: webhook.id,
      event_id: event.id,
      event_type: event.type,
      status: 'pending',
      attempts: 0,
      last_status_code: null,
      last_error: null,
      next_attempt_at: now,
      created_at: now,
    };
    const stored = { delivery, workspace_id: webhook.workspace_id, project_id: webhook.project_id, event };
    if (!(await this.#deliveries.create(stored))) {
      return (await this.#deliveries.get({ ...webhookRef(webhook), delivery_id: delivery.id })) ?? stored;
    }
    return stored;
  }

  /**
   * What the queue hands back: the delivery attempted if it is pending and due, handed back to the queue if its
   * time has not come (a queue may hold a notice only so long), and left alone if it was settled meanwhile.
   */
  async attemptIfDue(ref: DeliveryRef): Promise<Delivery | null> {
    const stored = await this.#deliveries.get(ref);
    if (stored?.delivery.status !== 'pending' || !stored.delivery.next_attempt_at) return null;
    if (Date.parse(stored.delivery.next_attempt_at) > this.#now().getTime()) {
      await this.#queue?.enqueue(dueOf(stored));
      return null;
    }
    return this.attempt(stored);
  }

  /** Hands the queue again every delivery overdue by more than OVERDUE_MS (its notice was lost); how many. */
  async sweep(limit = 100): Promise<number> {
    const overdue = await this.#deliveries.due(new Date(this.#now().getTime() - OVERDUE_MS), limit);
    const now = this.#now().toISOString();
    await this.#queue?.enqueue(overdue.flatMap((stored) => dueOf(stored).map((due) => ({ ...due, at: now }))));
    return overdue.length;
  }

  /** One attempt of a due delivery, and what follows from its answer. */
  async attempt(stored: StoredDelivery): Promise<Delivery> {
    const now = this.#now();
    const ref = {
      workspace_id: stored.workspace_id,
      project_id: stored.project_id,
      webhook_id: stored.delivery.webhook_id,
    };
    const hook = await this.#webhooks.get(ref);
    const attempts = stored.delivery.attempts + 1;
    // A delivery never outlives its webhook; one disabled waits for nothing.
    if (!hook?.webhook.enabled) {
      return this.#settle(stored, {
        status: 'failed',
        attempts: stored.delivery.attempts,
        last_error: hook ? 'the webhook is disabled' : 'the webhook was deleted',
        next_attempt_at: null,
      });
    }
    let result: SendResult;
    const body = JSON.stringify(stored.event);
    try {
      // Checked again now (its name may point elsewhere since), and sent to exactly the addresses checked.
      const destination = await resolveDestination(hook.webhook.url, this.#destinations);
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'jobs-service-webhooks',
        ...sign(signingSecrets(hook.secrets, now), stored.event.id, now, body),
      };
      result = await this.#send(destination.url, headers, body, this.#timeoutMs, destination.addresses);
    } catch (error) {
      result = { error: (error as Error).message };
    }
    if ('status' in result && result.status >= 200 && result.status < 300) {
      return this.#settle(stored, {
        status: 'succeeded',
        attempts,
        last_status_code: result.status,
        last_error: null,
        next_attempt_at: null,
      });
    }
    if ('status' in result && result.status === 410) {
      await this.#webhooks.update({
        ...hook,
        webhook: {
          ...hook.webhook,
          enabled: false,
          disabled_reason: 'the receiver answered 410 Gone',
          updated_at: now.toISOString(),
        },
      });
      return this.#settle(stored, {
        status: 'failed',
        attempts,
        last_status_code: 410,
        last_error: 'the receiver answered 410 Gone: the webhook is disabled',
        next_attempt_at: null,
      });
    }
    const code = 'status' in result ? result.status : null;
    const error = 'status' in result ? `the receiver answered ${result.status}` : result.error;
    const wait = this.#schedule[attempts - 1];
    if (wait === undefined)
      return this.#settle(stored, {
        status: 'failed',
        attempts,
        last_status_code: code,
        last_error: `${error}; no retries left`,
        next_attempt_at: null,
      });
    const asked = 'status' in result ? retryAfterMs(result.retry_after, now) : null;
    const next = new Date(now.getTime() + Math.max(wait, asked ?? 0)).toISOString();
    return this.#settle(stored, {
      status: 'pending',
      attempts,
      last_status_code: code,
      last_error: error,
      next_attempt_at: next,
    });
  }

  /** Tries a delivery again now, whatever became of it. */
  async redeliver(ref: DeliveryRef): Promise<Delivery | null> {
    const stored = await this.#deliveries.get(ref);
    if (!stored) return null;
    return this.#settle(stored, { status: 'pending', next_attempt_at: this.#now().toISOString() });
  }

  /** Saves the delivery's new state and, while it is pending, tells the queue when it is next due. */
  async #settle(stored: StoredDelivery, changes: Partial<Delivery>): Promise<Delivery> {
    const next = { ...stored, delivery: { ...stored.delivery, ...changes } };
    await this.#deliveries.save(next);
    // An attempt made (a redelivery asked for is none): how it went.
    if (next.delivery.attempts > stored.delivery.attempts)
      await this.#metrics?.delivery(
        stored,
        next.delivery.status === 'pending' ? 'retrying' : next.delivery.status === 'succeeded' ? 'succeeded' : 'failed',
      );
    await this.#queue?.enqueue(dueOf(next));
    return next.delivery;
  }
}

/** What the API asks of deliveries: a webhook's list, a test event, a redelivery. */
export class DeliveryService {
  readonly #webhooks: WebhookStore;
  readonly #deliveries: DeliveryStore;
  readonly #deliverer: Deliverer;
  readonly #now: () => Date;

  constructor(deps: { webhooks: WebhookStore; deliveries: DeliveryStore; deliverer: Deliverer; now?: () => Date }) {
    this.#webhooks = deps.webhooks;
    this.#deliveries = deps.deliveries;
    this.#deliverer = deps.deliverer;
    this.#now = deps.now ?? (() => new Date());
  }

  async list(
    ref: WebhookRef,
    filter: { status?: DeliveryStatus | undefined },
    page: PageRequest,
  ): Promise<Page<Delivery>> {
    await this.#require(ref);
    return this.#deliveries.list(ref, filter, page);
  }

  /** A webhook.test event, delivered to this webhook only, at once. */
  async test(ref: WebhookRef): Promise<Delivery> {
    const { webhook } = await this.#require(ref);
    return this.#deliverer.create(webhook, webhookTestEvent(webhook, this.#now()));
  }

  async redeliver(ref: DeliveryRef): Promise<Delivery> {
    await this.#require(ref);
    const delivery = await this.#deliverer.redeliver(ref);
    if (!delivery) throw new NotFoundError('delivery', ref.delivery_id);
    return delivery;
  }

  async #require(ref: WebhookRef) {
    const stored = await this.#webhooks.get(ref);
    if (!stored) throw new NotFoundError('webhook', ref.webhook_id);
    return stored;
  }
}
