// KeyStore on DynamoDB: a key is looked up by the hash of its secret (PK = KEYHASH#<sha256>) and listed from
// one partition (PK = KEYS, SK = KEY#<id>). Both items are written and deleted together, so a revoked key's
// lookup item is gone before the revoke call returns.
import type { AuditEntry } from '../../core/audit.ts';
import { auditPut } from './audit-store.ts';
import {
  GetItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  type GetItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { idPattern } from '../../core/ids.ts';
import type { ApiKey, StoredKey } from '../../core/keys.ts';
import type { KeyStore, Page, PageRequest } from '../../core/ports.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { key } from './keys.ts';
import { queryPage } from './paginate.ts';
import type { DynamoTable } from './table-client.ts';

const KEY_ID = idPattern('key');
const LOOKUP_SK = 'KEY';

function apiKey(item: Record<string, unknown>): ApiKey {
  const { id, name, role, workspaces, created_at } = item as unknown as ApiKey;
  return { id, name, role, workspaces, created_at };
}

export class DynamoKeyStore implements KeyStore {
  readonly table: DynamoTable;

  constructor(table: DynamoTable) {
    this.table = table;
  }

  async create(stored: StoredKey, audit?: AuditEntry): Promise<void> {
    const { hash, ...visible } = stored;
    await this.table.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          ...(audit ? [auditPut(this.table.name, audit)] : []),
          {
            Put: {
              TableName: this.table.name,
              Item: marshall({ PK: key.keyHash(hash), SK: LOOKUP_SK, type: 'key-hash', ...visible }),
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          {
            Put: {
              TableName: this.table.name,
              Item: marshall({ PK: key.keyList, SK: key.keyItem(stored.id), type: 'key', hash, ...visible }),
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        ],
      }),
    );
  }

  async findByHash(hash: string): Promise<ApiKey | null> {
    const output = await this.table.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.table.name,
        Key: marshall({ PK: key.keyHash(hash), SK: LOOKUP_SK }),
        ConsistentRead: true,
      }),
    );
    return output.Item ? apiKey(unmarshall(output.Item)) : null;
  }

  async list(page: PageRequest): Promise<Page<ApiKey>> {
    const after = page.cursor ? decodeCursor(page.cursor, ['key_id'], (v) => KEY_ID.test(v)).key_id : undefined;
    return queryPage(this.table, {
      input: {
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': { S: key.keyList } },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      limit: page.limit,
      startKey: after ? marshall({ PK: key.keyList, SK: key.keyItem(after) }) : undefined,
      map: apiKey,
      cursorOf: (item) => encodeCursor({ key_id: String(item.SK).slice(key.keyItem('').length) }),
    });
  }

  async revoke(keyId: string, audit?: AuditEntry): Promise<boolean> {
    const listed = await this.table.send<GetItemCommandOutput>(
      new GetItemCommand({
        TableName: this.table.name,
        Key: marshall({ PK: key.keyList, SK: key.keyItem(keyId) }),
        ConsistentRead: true,
      }),
    );
    if (!listed.Item) return false;
    const { hash } = unmarshall(listed.Item) as { hash: string };
    try {
      await this.table.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Delete: { TableName: this.table.name, Key: marshall({ PK: key.keyHash(hash), SK: LOOKUP_SK }) } },
            {
              Delete: {
                TableName: this.table.name,
                Key: marshall({ PK: key.keyList, SK: key.keyItem(keyId) }),
                ConditionExpression: 'attribute_exists(PK)',
              },
            },
            ...(audit ? [auditPut(this.table.name, audit)] : []),
          ],
        }),
      );
      return true;
    } catch (error) {
      // Revoked concurrently by someone else: it is gone either way.
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }
}
