// The EventSink in AWS: each event put on the stack's EventBridge bus (source jobs.service; detail-type by kind;
// detail = the event), so operators route run events with rules. PutEvents takes ten entries a call and may
// refuse some of them: those are reported back, to be read again from the stream.
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventSink } from '../../core/ports.ts';
import type { ServiceEvent } from '../../core/events.ts';
import { LazySdk } from './lazy-sdk.ts';

const loadEvents = () => import('@aws-sdk/client-eventbridge');
type Events = Awaited<ReturnType<typeof loadEvents>>;

export const EVENT_SOURCE = 'jobs.service';
const ENTRIES_PER_CALL = 10;

export function detailType(event: ServiceEvent): string {
  return event.type === 'schedule.skipped' ? 'Job Schedule Skipped' : 'Job Run State Change';
}

export class EventBridgeSink implements EventSink {
  readonly #busName: string;
  readonly #events: LazySdk<Events, EventBridgeClient>;

  constructor(options: { busName: string; client?: EventBridgeClient }) {
    this.#busName = options.busName;
    this.#events = new LazySdk(loadEvents, (sdk) => new sdk.EventBridgeClient({}), options.client);
  }

  async publish(events: ServiceEvent[]): Promise<{ failed: string[] }> {
    // A webhook's test event never comes here: it goes to its webhook alone and is never written to the outbox.
    const { sdk, client } = await this.#events.get();
    const failed: string[] = [];
    for (let i = 0; i < events.length; i += ENTRIES_PER_CALL) {
      const chunk = events.slice(i, i + ENTRIES_PER_CALL);
      try {
        const output = await client.send(
          new sdk.PutEventsCommand({
            Entries: chunk.map((event) => ({
              EventBusName: this.#busName,
              Source: EVENT_SOURCE,
              DetailType: detailType(event),
              Detail: JSON.stringify(event),
              Time: new Date(event.timestamp),
            })),
          }),
        );
        // Entries answer in the order sent; one with an error code was not put.
        (output.Entries ?? []).forEach((entry, index) => {
          if (entry.ErrorCode) failed.push(chunk[index]!.id);
        });
      } catch {
        failed.push(...chunk.map((event) => event.id));
      }
    }
    return { failed };
  }
}
