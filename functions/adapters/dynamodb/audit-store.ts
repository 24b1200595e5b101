// The audit log on DynamoDB. An entry is an item in its workspace's partition (PK = AUDIT#<workspace>, or
// AUDIT#* for the service's own changes), sorted by its id, whose ULID is its time: a time range is a key range,
// newest first. Every store that makes a change writes the change's entry in the change's own transaction
// (auditPut, sendWithAudit). Entries expire after AUDIT_DAYS by the table's TTL; a read never returns an
// expired one (DynamoDB removes them within days, DynamoDB Local never).
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { encodeTime } from 'ulid';
import { AUDIT_DAYS, type AuditEntry, type AuditFilter } from '../../core/audit.ts';
import type { Page, PageRequest } from '../../core/pages.ts';
import { cancellationCodes } from './transactions.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { key } from './keys.ts';
import { queryPage } from './paginate.ts';
import { TABLE_SCHEMA } from './table.ts';
import type { DynamoTable } from './table-client.ts';

const DAY_SECONDS = 86_400;

export function auditPut(tableName: string, entry: AuditEntry): TransactWriteItem {
  return {
    Put: {
      TableName: tableName,
      Item: marshall(
        {
          PK: key.audit(entry.workspace_id),
          SK: key.auditEntry(entry.id),
          type: 'audit',
          ...entry,
          // Filtered on, beside the target's other ids.
          project_id: entry.target.project_id,
          [TABLE_SCHEMA.timeToLiveAttribute]: Math.floor(Date.parse(entry.time) / 1000) + AUDIT_DAYS * DAY_SECONDS,
        },
        { removeUndefinedValues: true },
      ),
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}

/**
 * Sends one write, and with it, in one transaction, the audit entry of the change it makes. A failed condition of
 * the write is thrown as the single write's ConditionalCheckFailedException, so callers tell it as before.
 */
export async function sendWithAudit(table: DynamoTable, write: TransactWriteItem, audit?: AuditEntry): Promise<void> {
  if (!audit) {
    if (write.Put) await table.send(new PutItemCommand(write.Put));
    else if (write.Update) await table.send(new UpdateItemCommand(write.Update));
    else if (write.Delete) await table.send(new DeleteItemCommand(write.Delete));
    else throw new Error('sendWithAudit takes a Put, an Update or a Delete');
    return;
  }
  await transactWithAudit(table, [write], audit);
}

/** The items, and the audit entry after them, in one transaction; the first failed condition of the items is thrown. */
export async function transactWithAudit(
  table: DynamoTable,
  items: TransactWriteItem[],
  audit: AuditEntry | undefined,
): Promise<void> {
  try {
    await table.send(
      new TransactWriteItemsCommand({ TransactItems: audit ? [...items, auditPut(table.name, audit)] : items }),
    );
  } catch (error) {
    const codes = cancellationCodes(error);
    if (items.length === 1 && codes?.[0] === 'ConditionalCheckFailed')
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    throw error;
  }
}

export class DynamoAuditLog {
  readonly #table: DynamoTable;

  constructor(table: DynamoTable) {
    this.#table = table;
  }

  /** A workspace's entries (null: the service's own), newest first, filtered. */
  list(
    workspaceId: string | null,
    filter: AuditFilter,
    page: PageRequest,
    now = new Date(),
  ): Promise<Page<AuditEntry>> {
    const names: Record<string, string> = { '#pk': 'PK', '#sk': 'SK', '#ttl': TABLE_SCHEMA.timeToLiveAttribute };
    const values: Record<string, AttributeValue> = {
      ':pk': { S: key.audit(workspaceId) },
      ':from': { S: key.auditEntry(`aud_${filter.start ? encodeTime(filter.start.getTime(), 10) : '0'}`) },
      // After every id of the end's millisecond, and before any later one.
      ':to': { S: key.auditEntry(`aud_${filter.end ? encodeTime(filter.end.getTime(), 10) : 'Z'}~`) },
      ':now': { N: String(Math.floor(now.getTime() / 1000)) },
    };
    const conditions = ['#ttl > :now'];
    for (const [field, attribute] of [
      ['project_id', 'project_id'],
      ['action', 'action'],
    ] as const) {
      const value = filter[field];
      if (value === undefined) continue;
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = { S: value };
      conditions.push(`#${attribute} = :${attribute}`);
    }
    if (filter.key_id !== undefined) {
      names['#actor'] = 'actor';
      names['#key_id'] = 'key_id';
      values[':key_id'] = { S: filter.key_id };
      conditions.push('#actor.#key_id = :key_id');
    }
    const after = page.cursor ? decodeCursor(page.cursor, ['id'], (v) => /^aud_[0-9A-Z]{26}$/.test(v)).id : undefined;
    return queryPage(this.#table, {
      input: {
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        FilterExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      limit: page.limit,
      startKey: after ? marshall({ PK: key.audit(workspaceId), SK: key.auditEntry(after) }) : undefined,
      map: auditEntryOfItem,
      cursorOf: (item) => encodeCursor({ id: String(item.SK).slice(key.auditEntry('').length) }),
    });
  }
}

/** An audit item as its entry (the stream's new image of it, or a read's). */
export function auditEntryOfItem(item: Record<string, unknown>): AuditEntry {
  return {
    id: item.id as string,
    time: item.time as string,
    workspace_id: (item.workspace_id as string | null | undefined) ?? null,
    actor: item.actor as AuditEntry['actor'],
    action: item.action as AuditEntry['action'],
    target: item.target as AuditEntry['target'],
    request_id: item.request_id as string,
    source_ip: (item.source_ip as string | null | undefined) ?? null,
    changes: (item.changes as AuditEntry['changes'] | undefined) ?? {},
  };
}
