// The event outbox on the single table. An event is an item beside the project's jobs (PK = project, SK =
// EVT#<event id>), put in the same transaction as the change it tells of. Until it is handed on it is also in
// the sparse lookup index (GSI3PK = OUTBOX, GSI3SK = event id), which is how the local host finds pending events
// without a Scan, and deletes once handed on (25 a request); in AWS the table's stream hands each one on as it is
// written, and the item expires after a week.
import {
  BatchWriteItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ServiceEvent } from '../../core/events.ts';
import type { EventOutbox } from '../../core/ports.ts';
import { key } from './keys.ts';
import { TABLE_SCHEMA } from './table.ts';
import type { DynamoTable } from './table-client.ts';

export const EVENT_TTL_SECONDS = 7 * 24 * 60 * 60;
const { lookups } = TABLE_SCHEMA.indexes;

export function eventKey(event: Pick<ServiceEvent, 'id' | 'data'>) {
  return { PK: key.project(event.data), SK: key.event(event.id) };
}

/** The Put of an event item, for the transaction of the change it tells of. */
export function eventPut(tableName: string, event: ServiceEvent): TransactWriteItem {
  const expires = Math.floor(Date.parse(event.timestamp) / 1000) + EVENT_TTL_SECONDS;
  return {
    Put: {
      TableName: tableName,
      Item: marshall(
        {
          ...eventKey(event),
          type: 'event',
          event,
          [lookups.partitionKey]: key.outbox,
          [lookups.sortKey]: event.id,
          [TABLE_SCHEMA.timeToLiveAttribute]: expires,
        },
        { removeUndefinedValues: true, convertClassInstanceToMap: true },
      ),
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}

/** The event an item holds, or null for an item that is not an event. */
export function eventOfItem(item: Record<string, unknown>): ServiceEvent | null {
  return item.type === 'event' && item.event ? (item.event as ServiceEvent) : null;
}

export class DynamoEventOutbox implements EventOutbox {
  readonly #table: DynamoTable;

  constructor(table: DynamoTable) {
    this.#table = table;
  }

  async pending(limit: number): Promise<ServiceEvent[]> {
    const output = await this.#table.send<QueryCommandOutput>(
      new QueryCommand({
        TableName: this.#table.name,
        IndexName: lookups.name,
        KeyConditionExpression: '#pk = :outbox',
        ExpressionAttributeNames: { '#pk': lookups.partitionKey },
        ExpressionAttributeValues: { ':outbox': { S: key.outbox } },
        Limit: limit,
      }),
    );
    return (output.Items ?? [])
      .map((item) => eventOfItem(unmarshall(item)))
      .filter((event): event is ServiceEvent => event !== null);
  }

  async handedOn(events: ServiceEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 25) {
      let requests = events.slice(i, i + 25).map((event) => ({ DeleteRequest: { Key: marshall(eventKey(event)) } }));
      // What DynamoDB leaves unprocessed is sent again; what still fails stays pending, to be handed on again.
      for (let attempt = 0; requests.length > 0 && attempt < 5; attempt++) {
        const output = await this.#table.send<{ UnprocessedItems?: Record<string, typeof requests> }>(
          new BatchWriteItemCommand({ RequestItems: { [this.#table.name]: requests } }),
        );
        requests = output.UnprocessedItems?.[this.#table.name] ?? [];
      }
    }
  }
}
