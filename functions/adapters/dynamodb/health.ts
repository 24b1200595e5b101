// A cheap check of the table for GET /v1/health: a GetItem of a key that never holds data; or, where the engine's
// storage is this machine's own disk (DynamoDB Local), a write of that one item, since a full disk still
// answers reads while every write fails.
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoTable } from './table-client.ts';

const KEY = { PK: { S: 'HEALTH' }, SK: { S: 'HEALTH' } };

export function tableHealthCheck(table: DynamoTable, options: { write?: boolean } = {}): () => Promise<void> {
  return async () => {
    try {
      if (options.write)
        await table.send(
          new PutItemCommand({ TableName: table.name, Item: { ...KEY, checked_at: { S: new Date().toISOString() } } }),
        );
      else await table.send(new GetItemCommand({ TableName: table.name, Key: KEY }));
    } catch (error) {
      const cause = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
      throw new Error(
        options.write ? `the table does not take writes: ${cause}` : `the table cannot be read: ${cause}`,
      );
    }
  };
}
