// DeliveryStore on DynamoDB: a webhook's deliveries are items of its own partition (PK = WH#<webhook id>, SK =
// DLV#<delivery id>, newest first by the event's ULID). A pending one is also in the sparse lookup index under
// DUE, sorted by its next attempt time, which is how due deliveries are found without a Scan.
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ConditionalCheckFailedException,
  type GetItemCommandOutput,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Delivery, DeliveryRef, DeliveryStatus, StoredDelivery } from '../../core/deliveries.ts';
import type { DeliveryStore } from '../../core/ports.ts';
import type { Page, PageRequest } from '../../core/ports.ts';
import type { WebhookRef } from '../../core/webhooks.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { key } from './keys.ts';
import { queryPage } from './paginate.ts';
import { TABLE_SCHEMA } from './table.ts';
import type { DynamoTable } from './table-client.ts';

const { lookups } = TABLE_SCHEMA.indexes;
/** Deliveries are kept a month after they are made. */
const DELIVERY_TTL_SECONDS = 30 * 24 * 60 * 60;

const itemKey = (webhookId: string, deliveryId: string) => ({
  PK: key.deliveries(webhookId),
  SK: key.delivery(deliveryId),
});

function item(stored: StoredDelivery): Record<string, unknown> {
  const { delivery } = stored;
  const due =
    delivery.status === 'pending' && delivery.next_attempt_at
      ? { [lookups.partitionKey]: key.due, [lookups.sortKey]: `${delivery.next_attempt_at}#${delivery.id}` }
      : {};
  const expires = Math.floor(Date.parse(delivery.created_at) / 1000) + DELIVERY_TTL_SECONDS;
  return {
    ...itemKey(delivery.webhook_id, delivery.id),
    type: 'delivery',
    ...stored,
    ...due,
    [TABLE_SCHEMA.timeToLiveAttribute]: expires,
  };
}

function stored(raw: Record<string, unknown>): StoredDelivery {
  return {
    delivery: raw.delivery as Delivery,
    workspace_id: raw.workspace_id as string,
    project_id: raw.project_id as string,
    event: raw.event as StoredDelivery['event'],
  };
}

export class DynamoDeliveryStore implements DeliveryStore {
  readonly #table: DynamoTable;

  constructor(table: DynamoTable) {
    this.#table = table;
  }

  async create(entry: StoredDelivery): Promise<boolean> {
    try {
      await this.#table.send(
        new PutItemCommand({
          TableName: this.#table.name,
          Item: marshall(item(entry), { removeUndefinedValues: true, convertClassInstanceToMap: true }),
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(ref: DeliveryRef): Promise<StoredDelivery | null> {
    const output = await this.#table.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.#table.name,
        Key: marshall(itemKey(ref.webhook_id, ref.delivery_id)),
        ConsistentRead: true,
      }),
    );
    if (!output.Item) return null;
    const found = stored(unmarshall(output.Item));
    // A delivery is addressed under its webhook's project: another project's is not found.
    return found.workspace_id === ref.workspace_id && found.project_id === ref.project_id ? found : null;
  }

  list(ref: WebhookRef, filter: { status?: DeliveryStatus | undefined }, page: PageRequest): Promise<Page<Delivery>> {
    const after = page.cursor
      ? decodeCursor(page.cursor, ['delivery_id'], (v) => /^dlv_[0-9A-HJKMNP-TV-Z]{26}$/.test(v)).delivery_id
      : undefined;
    const names: Record<string, string> = { '#pk': 'PK', '#sk': 'SK' };
    const values: Record<string, unknown> = { ':pk': key.deliveries(ref.webhook_id), ':prefix': key.delivery('') };
    if (filter.status) {
      names['#delivery'] = 'delivery';
      names['#status'] = 'status';
      values[':status'] = filter.status;
    }
    return queryPage(this.#table, {
      input: {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        FilterExpression: filter.status ? '#delivery.#status = :status' : undefined,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values),
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      limit: page.limit,
      startKey: after ? marshall(itemKey(ref.webhook_id, after)) : undefined,
      map: (raw) => stored(raw).delivery,
      cursorOf: (raw) => encodeCursor({ delivery_id: String(raw.SK).slice(key.delivery('').length) }),
    });
  }

  async due(now: Date, limit: number): Promise<StoredDelivery[]> {
    const output = await this.#table.send<QueryCommandOutput>(
      new QueryCommand({
        TableName: this.#table.name,
        IndexName: lookups.name,
        KeyConditionExpression: '#pk = :due AND #sk <= :now',
        ExpressionAttributeNames: { '#pk': lookups.partitionKey, '#sk': lookups.sortKey },
        ExpressionAttributeValues: marshall({ ':due': key.due, ':now': `${now.toISOString()}#~` }),
        Limit: limit,
      }),
    );
    return (output.Items ?? []).map((raw) => stored(unmarshall(raw)));
  }

  async nextDue(): Promise<Date | null> {
    const output = await this.#table.send<QueryCommandOutput>(
      new QueryCommand({
        TableName: this.#table.name,
        IndexName: lookups.name,
        KeyConditionExpression: '#pk = :due',
        ExpressionAttributeNames: { '#pk': lookups.partitionKey },
        ExpressionAttributeValues: marshall({ ':due': key.due }),
        Limit: 1,
      }),
    );
    const first = output.Items?.[0] ? unmarshall(output.Items[0]) : undefined;
    return first ? new Date(String(first[lookups.sortKey]).split('#')[0]!) : null;
  }

  async save(entry: StoredDelivery): Promise<void> {
    await this.#table.send(
      new PutItemCommand({
        TableName: this.#table.name,
        Item: marshall(item(entry), { removeUndefinedValues: true, convertClassInstanceToMap: true }),
      }),
    );
  }
}
