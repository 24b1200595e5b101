// The EventSink in AWS: each event put on the stack's EventBridge bus (source jobs.service; detail-type by kind;
// detail = the event), so operators route run events with rules; and each audit entry (detail-type "Jobs Audit
// Entry"), so they keep or alert on changes where they keep the rest. PutEvents takes ten entries a call and may
// refuse some of them: those are reported back, to be read again from the stream.
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventSink } from '../../core/ports.ts';
import type { ServiceEvent } from '../../core/events.ts';
import { isAlertEvent } from '../../core/alert-rules.ts';
import type { AuditEntry } from '../../core/audit.ts';
import { LazySdk } from './lazy-sdk.ts';

const loadEvents = () => import('@aws-sdk/client-eventbridge');
type Events = Awaited<ReturnType<typeof loadEvents>>;

export const EVENT_SOURCE = 'jobs.service';
const ENTRIES_PER_CALL = 10;

export const AUDIT_DETAIL_TYPE = 'Jobs Audit Entry';

export const ALERT_DETAIL_TYPE = 'Job Alert';

export function detailType(event: ServiceEvent): string {
  if (event.type === 'schedule.skipped') return 'Job Schedule Skipped';
  if (isAlertEvent(event.type)) return ALERT_DETAIL_TYPE;
  return 'Job Run State Change';
}

export class EventBridgeSink implements EventSink {
  readonly #busName: string;
  readonly #events: LazySdk<Events, EventBridgeClient>;

  constructor(options: { busName: string; client?: EventBridgeClient }) {
    this.#busName = options.busName;
    this.#events = new LazySdk(loadEvents, (sdk) => new sdk.EventBridgeClient({}), options.client);
  }

  publish(events: ServiceEvent[]): Promise<{ failed: string[] }> {
    // A webhook's test event never comes here: it goes to its webhook alone and is never written to the outbox.
    return this.#put(events, (event) => ({
      DetailType: detailType(event),
      Detail: JSON.stringify(event),
      Time: new Date(event.timestamp),
    }));
  }

  /** The audit log's new entries, each as it is read from the API. */
  publishAudit(entries: AuditEntry[]): Promise<{ failed: string[] }> {
    return this.#put(entries, (entry) => ({
      DetailType: AUDIT_DETAIL_TYPE,
      Detail: JSON.stringify(entry),
      Time: new Date(entry.time),
    }));
  }

  /** Puts each item, ten a call; the ids of those not put. */
  async #put<T extends { id: string }>(
    items: T[],
    entryOf: (item: T) => { DetailType: string; Detail: string; Time: Date },
  ): Promise<{ failed: string[] }> {
    const { sdk, client } = await this.#events.get();
    const failed: string[] = [];
    for (let i = 0; i < items.length; i += ENTRIES_PER_CALL) {
      const chunk = items.slice(i, i + ENTRIES_PER_CALL);
      try {
        const output = await client.send(
          new sdk.PutEventsCommand({
            Entries: chunk.map((item) => ({ EventBusName: this.#busName, Source: EVENT_SOURCE, ...entryOf(item) })),
          }),
        );
        // Entries answer in the order sent; one with an error code was not put.
        (output.Entries ?? []).forEach((entry, index) => {
          if (entry.ErrorCode) failed.push(chunk[index]!.id);
        });
      } catch {
        failed.push(...chunk.map((item) => item.id));
      }
    }
    return { failed };
  }
}
