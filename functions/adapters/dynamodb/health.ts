// A cheap reachability check of the table (a GetItem of a key that never exists), for GET /v1/health.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoTable } from './table-client.ts';

export function tableHealthCheck(table: DynamoTable): () => Promise<void> {
  return async () => {
    await table.send(new GetItemCommand({ TableName: table.name, Key: { PK: { S: 'HEALTH' }, SK: { S: 'HEALTH' } } }));
  };
}
