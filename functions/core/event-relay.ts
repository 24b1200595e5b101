// Hands events on, from wherever they are read (the local outbox, the table's stream in AWS) to the host's sinks
// (EventBridge in AWS, the service log locally, webhooks), with the job's current name filled in. An event is
// handed on when every sink took it; one a sink refused is reported, to be read again (at least once).
import type { ServiceEvent } from './events.ts';
import type { EventSink, JobStore } from './ports.ts';

export class EventRelay {
  readonly #jobs: JobStore;
  readonly #sinks: EventSink[];

  constructor(deps: { jobs: JobStore; sinks: EventSink[] }) {
    this.#jobs = deps.jobs;
    this.#sinks = deps.sinks;
  }

  /** The ids of the events some sink refused; every other event was handed on. */
  async relay(events: ServiceEvent[]): Promise<{ failed: string[] }> {
    if (events.length === 0) return { failed: [] };
    const named = await this.#withJobNames(events);
    const failed = new Set<string>();
    for (const sink of this.#sinks) for (const id of (await sink.publish(named)).failed) failed.add(id);
    return { failed: [...failed] };
  }

  async #withJobNames(events: ServiceEvent[]): Promise<ServiceEvent[]> {
    const names = new Map<string, Promise<string | null>>();
    const nameOf = (event: ServiceEvent) => {
      const { data } = event;
      const jobId = data.job_id;
      if (!jobId) return Promise.resolve(null);
      const known =
        names.get(jobId) ??
        this.#jobs.get(data, jobId).then(
          (stored) => stored?.job.name ?? null,
          () => null,
        );
      names.set(jobId, known);
      return known;
    };
    return Promise.all(
      events.map(async (event) => ({
        ...event,
        data: { ...event.data, job_name: event.data.job_name ?? (await nameOf(event)) },
      })),
    );
  }
}
