// Test tables on the run's DynamoDB Local. Like electrodb's guard, this refuses any endpoint that is not on
// loopback, so no test can ever touch a real table.
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { DynamoTable } from '../../functions/adapters/dynamodb/table-client.ts';
import { ensureTable } from '../../local-server/engine/ensure-table.ts';

export function testEndpoint(): string {
  const endpoint = inject('dynamodbEndpoint');
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint))
    throw new Error(`refusing to test against ${endpoint}: not DynamoDB Local on loopback`);
  return endpoint;
}

export function uniqueTableName(label: string): string {
  return `test-${label}-${randomUUID().slice(0, 8)}`;
}

/** A fresh table of the real schema, for one test file; drop() deletes it. */
export async function createTestTable(label: string): Promise<DynamoTable & { drop(): Promise<void> }> {
  const table = new DynamoTable({ tableName: uniqueTableName(label), endpoint: testEndpoint() });
  await ensureTable(table.client, table.name);
  return Object.assign(table, {
    async drop() {
      await table.client.send(new DeleteTableCommand({ TableName: table.name }));
      table.client.destroy();
    },
  });
}
