// The local host's way events leave the outbox (in AWS the table's stream does it): pending events are read
// oldest first and relayed, then taken out of the outbox, at start (what a stopped service left) and whenever a
// run changes, with a sweep every second for what no change announced. An event a sink refused stays pending
// and is offered again by the next sweep. A burst of changes is gathered into one pass (a short wait first), so
// handing events on never competes with the runs it tells of.
import type { EventRelay } from '../../core/event-relay.ts';
import type { EventSink } from '../../core/ports.ts';
import type { EventOutbox } from '../../core/ports.ts';
import type { Logger } from '../../logger.ts';

const BATCH = 100;
const SWEEP_MS = 1000;
/** How long a wake-up waits for the rest of its burst. */
const GATHER_MS = 50;

export class LocalEventPump {
  readonly #outbox: EventOutbox;
  readonly #relay: EventRelay;
  readonly #logger: Logger;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #gathering: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(deps: { outbox: EventOutbox; relay: EventRelay; logger: Logger }) {
    this.#outbox = deps.outbox;
    this.#relay = deps.relay;
    this.#logger = deps.logger;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  /** Something may have been written to the outbox: pump soon, once for the whole burst. */
  wake(): void {
    if (this.#stopped || this.#gathering) return;
    this.#gathering = setTimeout(() => {
      this.#gathering = undefined;
      this.#pump();
    }, GATHER_MS);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#gathering);
    await this.#running;
  }

  /** A pass now; one asked for while a pass runs follows it. */
  #pump(): void {
    if (this.#stopped) return;
    this.#again = true;
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
      if (this.#again) this.#pump();
    });
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#pump();
    this.#timer = setTimeout(() => this.#schedule(), SWEEP_MS);
    this.#timer.unref();
  }

  async #pass(): Promise<void> {
    this.#again = false;
    try {
      for (
        let events = await this.#outbox.pending(BATCH);
        events.length > 0 && !this.#stopped;
        events = await this.#outbox.pending(BATCH)
      ) {
        const { failed } = await this.#relay.relay(events);
        const refused = new Set(failed);
        await this.#outbox.handedOn(events.filter((event) => !refused.has(event.id)));
        if (refused.size > 0) return; // offered again on the next sweep, not in a tight loop
      }
    } catch (error) {
      this.#logger.warn('could not hand events on; they stay in the outbox', { error: error as Error });
    }
  }
}

/** The local sink of events: one line each in the service's log (webhooks add theirs). */
export function loggedEvents(logger: Logger): EventSink {
  return {
    async publish(events) {
      for (const event of events)
        logger.info('event', {
          event_id: event.id,
          type: event.type,
          job_id: event.data.job_id,
          job_name: event.data.job_name,
          run_id: event.data.run?.id,
          status: event.data.run?.status,
        });
      return { failed: [] };
    },
  };
}
