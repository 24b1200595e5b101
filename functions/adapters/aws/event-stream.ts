// The table's stream, read by the event publisher: each new event item (the outbox) is relayed, each new audit
// entry put on the bus, and the records of those refused are reported as batch item failures, so Lambda offers
// them again (and, after its retries, parks them in the dead-letter queue).
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { EventRelay } from '../../core/event-relay.ts';
import type { ServiceEvent } from '../../core/events.ts';
import { eventOfItem } from '../dynamodb/outbox.ts';
import { auditEntryOfItem } from '../dynamodb/audit-store.ts';
import type { AuditEntry } from '../../core/audit.ts';

/** What Lambda hands a function of a DynamoDB stream (the fields read here). */
export interface StreamBatch {
  Records: Array<{ eventName?: string; dynamodb?: { NewImage?: Record<string, unknown>; SequenceNumber?: string } }>;
}

export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** Where the audit log's new entries go (the bus). */
export interface AuditSink {
  publishAudit(entries: AuditEntry[]): Promise<{ failed: string[] }>;
}

export function eventStreamHandler(relay: EventRelay, audit?: AuditSink) {
  return async (input: StreamBatch): Promise<BatchResponse> => {
    const records: Array<{ sequence: string; event: ServiceEvent }> = [];
    const entries: Array<{ sequence: string; entry: AuditEntry }> = [];
    for (const record of input.Records) {
      const image = record.dynamodb?.NewImage;
      if (record.eventName !== 'INSERT' || !image) continue;
      const item = unmarshall(image as Record<string, AttributeValue>);
      const sequence = record.dynamodb?.SequenceNumber ?? '';
      if (item.type === 'audit') {
        entries.push({ sequence, entry: auditEntryOfItem(item) });
        continue;
      }
      const event = eventOfItem(item);
      if (event) records.push({ sequence, event });
    }
    const { failed } = await relay.relay(records.map((r) => r.event));
    const refused = new Set(failed);
    const told = audit && entries.length > 0 ? await audit.publishAudit(entries.map((e) => e.entry)) : { failed: [] };
    const untold = new Set(told.failed);
    return {
      batchItemFailures: [
        ...records.filter((r) => refused.has(r.event.id)).map((r) => ({ itemIdentifier: r.sequence })),
        ...entries.filter((e) => untold.has(e.entry.id)).map((e) => ({ itemIdentifier: e.sequence })),
      ],
    };
  };
}
