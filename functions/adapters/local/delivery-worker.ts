// The local host's webhook deliveries: due deliveries are attempted a few at a time, as soon as they are made or
// due, and at start whatever a stopped service left pending. It is the host's delivery queue: told of a
// delivery due now, it looks at once; the next later one it finds itself. The next attempt time lives in the table, never
// only in a timer, so a restart loses no delivery.
import type { DueDelivery } from '../../core/deliveries.ts';
import type { DeliveryQueue, DeliveryStore } from '../../core/ports.ts';
import type { Deliverer } from '../../core/delivery-service.ts';
import type { Logger } from '../../logger.ts';

const BATCH = 50;
const CONCURRENCY = 8;
/** The longest the worker sleeps without looking (a wake-up it missed costs no more than this). */
const MAX_SLEEP_MS = 60_000;

export class LocalDeliveryWorker implements DeliveryQueue {
  readonly #store: DeliveryStore;
  readonly #deliverer: () => Deliverer;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  constructor(deps: { store: DeliveryStore; deliverer: () => Deliverer; logger: Logger }) {
    this.#store = deps.store;
    this.#deliverer = deps.deliverer;
    this.#logger = deps.logger;
  }

  start(): void {
    this.#stopped = false;
    this.wake();
  }

  wake(): void {
    if (this.#stopped) return;
    this.#again = true;
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
      if (this.#again) this.wake();
    });
  }

  /** The queue locally: a delivery due now wakes the worker; a later one is found by its next look. */
  async enqueue(deliveries: DueDelivery[]): Promise<void> {
    const now = Date.now();
    if (deliveries.some((d) => Date.parse(d.at) <= now)) this.wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #pass(): Promise<void> {
    this.#again = false;
    clearTimeout(this.#timer);
    try {
      for (
        let due = await this.#store.due(new Date(), BATCH);
        due.length > 0 && !this.#stopped;
        due = await this.#store.due(new Date(), BATCH)
      ) {
        const queue = [...due];
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            for (let next = queue.shift(); next; next = queue.shift()) {
              const delivery = await this.#deliverer().attempt(next);
              this.#logger.info('webhook delivery', { delivery });
            }
          }),
        );
      }
      const next = await this.#store.nextDue();
      if (next && !this.#stopped) {
        this.#timer = setTimeout(() => this.wake(), Math.min(MAX_SLEEP_MS, Math.max(0, next.getTime() - Date.now())));
        this.#timer.unref();
      }
    } catch (error) {
      this.#logger.warn('could not attempt webhook deliveries; they stay pending', { error: error as Error });
      if (!this.#stopped) this.#timer = setTimeout(() => this.wake(), 1000).unref();
    }
  }
}
