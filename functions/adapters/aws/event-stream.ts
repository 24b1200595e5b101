// The table's stream, read by the event publisher: each new event item (the outbox) is relayed, and the
// records of events a sink refused are reported as batch item failures, so Lambda offers them again (and, after
// its retries, parks them in the dead-letter queue).
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { EventRelay } from '../../core/event-relay.ts';
import type { ServiceEvent } from '../../core/events.ts';
import { eventOfItem } from '../dynamodb/outbox.ts';

/** What Lambda hands a function of a DynamoDB stream (the fields read here). */
export interface StreamBatch {
  Records: Array<{ eventName?: string; dynamodb?: { NewImage?: Record<string, unknown>; SequenceNumber?: string } }>;
}

export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export function eventStreamHandler(relay: EventRelay) {
  return async (input: StreamBatch): Promise<BatchResponse> => {
    const records: Array<{ sequence: string; event: ServiceEvent }> = [];
    for (const record of input.Records) {
      const image = record.dynamodb?.NewImage;
      if (record.eventName !== 'INSERT' || !image) continue;
      const event = eventOfItem(unmarshall(image as Record<string, AttributeValue>));
      if (event) records.push({ sequence: record.dynamodb?.SequenceNumber ?? '', event });
    }
    const { failed } = await relay.relay(records.map((r) => r.event));
    const refused = new Set(failed);
    return {
      batchItemFailures: records.filter((r) => refused.has(r.event.id)).map((r) => ({ itemIdentifier: r.sequence })),
    };
  };
}
