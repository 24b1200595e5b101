// SecretStore on DynamoDB: a secret's metadata is one item in its project's partition (SK = SECRET#<name>),
// written only while its version is the one read, so two writers never both think they made version n. The value
// is never here: it is in the vault (secret-vault.ts locally, Secrets Manager in AWS).
import type { AuditEntry } from '../../core/audit.ts';
import { sendWithAudit } from './audit-store.ts';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  type GetItemCommandOutput,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ProjectRef, SecretStore } from '../../core/ports.ts';
import type { SecretRef, StoredSecret } from '../../core/secrets.ts';
import { key } from './keys.ts';
import type { DynamoTable } from './table-client.ts';

const FIELDS = [
  'workspace_id',
  'project_id',
  'name',
  'version',
  'source',
  'created_at',
  'updated_at',
  'location',
] as const satisfies ReadonlyArray<keyof StoredSecret>;

function fromItem(item: Record<string, unknown>): StoredSecret {
  return Object.fromEntries(FIELDS.map((field) => [field, item[field]])) as unknown as StoredSecret;
}

const itemKey = (ref: SecretRef) => marshall({ PK: key.project(ref), SK: key.secret(ref.name) });

export class DynamoSecretStore implements SecretStore {
  readonly #table: DynamoTable;

  constructor(table: DynamoTable) {
    this.#table = table;
  }

  async get(ref: SecretRef): Promise<StoredSecret | null> {
    const output = await this.#table.send<GetItemCommandOutput>(
      new GetItemCommand({ TableName: this.#table.name, Key: itemKey(ref), ConsistentRead: true }),
    );
    return output.Item ? fromItem(unmarshall(output.Item)) : null;
  }

  async list(ref: ProjectRef): Promise<StoredSecret[]> {
    const secrets: StoredSecret[] = [];
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const output: QueryCommandOutput = await this.#table.send<QueryCommandOutput>(
        new QueryCommand({
          TableName: this.#table.name,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: marshall({ ':pk': key.project(ref), ':prefix': key.secret('') }),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      secrets.push(...(output.Items ?? []).map((item) => fromItem(unmarshall(item))));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return secrets;
  }

  async put(secret: StoredSecret, expectedVersion: number | null, audit?: AuditEntry): Promise<boolean> {
    try {
      await sendWithAudit(
        this.#table,
        {
          Put: {
            TableName: this.#table.name,
            Item: marshall({ PK: key.project(secret), SK: key.secret(secret.name), type: 'secret', ...secret }),
            ...(expectedVersion === null
              ? { ConditionExpression: 'attribute_not_exists(PK)' }
              : {
                  ConditionExpression: 'version = :expected',
                  ExpressionAttributeValues: marshall({ ':expected': expectedVersion }),
                }),
          },
        },
        audit,
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async delete(ref: SecretRef, audit?: AuditEntry): Promise<boolean> {
    try {
      await sendWithAudit(
        this.#table,
        { Delete: { TableName: this.#table.name, Key: itemKey(ref), ConditionExpression: 'attribute_exists(PK)' } },
        audit,
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
