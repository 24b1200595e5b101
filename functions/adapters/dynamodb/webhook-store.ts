// WebhookStore on DynamoDB: a webhook is an item beside its project's jobs (PK = project, SK = WH#<id>), with
// its signing secrets; a counter item (SK = WEBHOOKS) moves in the same transaction as each create and delete,
// which is what holds a project to MAX_WEBHOOKS_PER_PROJECT even under concurrent creates.
import type { AuditEntry } from '../../core/audit.ts';
import { auditPut, sendWithAudit } from './audit-store.ts';
import {
  GetItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  type GetItemCommandOutput,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ConflictError } from '../../core/errors.ts';
import { idPattern } from '../../core/ids.ts';
import type { Page, PageRequest, ProjectRef } from '../../core/ports.ts';
import { MAX_WEBHOOKS_PER_PROJECT, type StoredWebhook, type Webhook, type WebhookRef } from '../../core/webhooks.ts';
import type { WebhookStore } from '../../core/ports.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { key } from './keys.ts';
import { queryPage } from './paginate.ts';
import { cancellationCodes } from './transactions.ts';
import type { DynamoTable } from './table-client.ts';

const WEBHOOK_ID = idPattern('wh');

const itemKey = (ref: WebhookRef) => marshall({ PK: key.project(ref), SK: key.webhook(ref.webhook_id) });
const counterKey = (ref: ProjectRef) => marshall({ PK: key.project(ref), SK: key.webhookCount });

function stored(item: Record<string, unknown>): StoredWebhook {
  return { webhook: item.webhook as Webhook, secrets: item.secrets as StoredWebhook['secrets'] };
}

export class DynamoWebhookStore implements WebhookStore {
  readonly #table: DynamoTable;

  constructor(table: DynamoTable) {
    this.#table = table;
  }

  #item(entry: StoredWebhook) {
    const ref = { ...entry.webhook, webhook_id: entry.webhook.id };
    return marshall(
      { PK: key.project(ref), SK: key.webhook(ref.webhook_id), type: 'webhook', ...entry },
      { removeUndefinedValues: true, convertClassInstanceToMap: true },
    );
  }

  async create(entry: StoredWebhook, audit?: AuditEntry): Promise<void> {
    try {
      await this.#table.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#table.name,
                Item: this.#item(entry),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            {
              Update: {
                TableName: this.#table.name,
                Key: counterKey(entry.webhook),
                UpdateExpression: 'ADD #count :one',
                ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
                ExpressionAttributeNames: { '#count': 'count' },
                ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: String(MAX_WEBHOOKS_PER_PROJECT) } },
              },
            },
            ...(audit ? [auditPut(this.#table.name, audit)] : []),
          ],
        }),
      );
    } catch (error) {
      if (cancellationCodes(error)?.[1] === 'ConditionalCheckFailed') {
        throw new ConflictError(
          `the project has ${MAX_WEBHOOKS_PER_PROJECT} webhooks, the most a project may have; delete one first`,
          'project_id',
        );
      }
      throw error;
    }
  }

  async get(ref: WebhookRef): Promise<StoredWebhook | null> {
    const output = await this.#table.send<GetItemCommandOutput>(
      new GetItemCommand({ TableName: this.#table.name, Key: itemKey(ref), ConsistentRead: true }),
    );
    return output.Item ? stored(unmarshall(output.Item)) : null;
  }

  list(ref: ProjectRef, page: PageRequest): Promise<Page<Webhook>> {
    const after = page.cursor
      ? decodeCursor(page.cursor, ['webhook_id'], (v) => WEBHOOK_ID.test(v)).webhook_id
      : undefined;
    return queryPage(this.#table, {
      input: {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
        ExpressionAttributeValues: { ':pk': { S: key.project(ref) }, ':prefix': { S: key.webhook('') } },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      limit: page.limit,
      startKey: after ? itemKey({ ...ref, webhook_id: after }) : undefined,
      map: (item) => stored(item).webhook,
      cursorOf: (item) => encodeCursor({ webhook_id: String(item.SK).slice(key.webhook('').length) }),
    });
  }

  async forProject(ref: ProjectRef): Promise<StoredWebhook[]> {
    const output = await this.#table.send<QueryCommandOutput>(
      new QueryCommand({
        TableName: this.#table.name,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
        ExpressionAttributeValues: { ':pk': { S: key.project(ref) }, ':prefix': { S: key.webhook('') } },
        ConsistentRead: true,
      }),
    );
    return (output.Items ?? []).map((item) => stored(unmarshall(item)));
  }

  async update(entry: StoredWebhook, audit?: AuditEntry): Promise<void> {
    await sendWithAudit(
      this.#table,
      { Put: { TableName: this.#table.name, Item: this.#item(entry), ConditionExpression: 'attribute_exists(PK)' } },
      audit,
    );
  }

  async delete(ref: WebhookRef, audit?: AuditEntry): Promise<boolean> {
    try {
      await this.#table.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Delete: { TableName: this.#table.name, Key: itemKey(ref), ConditionExpression: 'attribute_exists(PK)' } },
            {
              Update: {
                TableName: this.#table.name,
                Key: counterKey(ref),
                UpdateExpression: 'ADD #count :down',
                ExpressionAttributeNames: { '#count': 'count' },
                ExpressionAttributeValues: { ':down': { N: '-1' } },
              },
            },
            ...(audit ? [auditPut(this.#table.name, audit)] : []),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }
}
