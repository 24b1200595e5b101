// Finished runs written straight into the local service's table, in the run store's own item layout: how the
// benches get 100,000 runs in seconds instead of hours.
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { monotonicFactory } from 'ulid';
import { runItem } from '../../functions/adapters/dynamodb/run-store.ts';
import type { Run } from '../../functions/core/run-model.ts';
import { DEFAULT_TABLE } from '../../local-server/service.ts';

/** Writes finished runs straight into the table with the run store's own item layout, 25 per request. */
export async function seedRuns(endpoint: string, template: Run, projectId: string, count: number): Promise<void> {
  const dynamo = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const nextId = monotonicFactory();
  const start = Date.now() - count * 1000;
  const batches: Array<Record<string, unknown>[]> = [];
  for (let i = 0; i < count; i += 25) {
    batches.push(
      Array.from({ length: Math.min(25, count - i) }, (_, j) => {
        const at = start + (i + j) * 1000;
        const run: Run = {
          ...template,
          id: `run_${nextId(at)}`,
          project_id: projectId,
          created_at: new Date(at).toISOString(),
        };
        return runItem(run);
      }),
    );
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches.length) {
        let items = batches[next++]!.map((item) => ({
          PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) },
        }));
        while (items.length > 0) {
          const output = await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [DEFAULT_TABLE]: items } }));
          items = (output.UnprocessedItems?.[DEFAULT_TABLE] ?? []) as typeof items;
        }
      }
    }),
  );
  dynamo.destroy();
}
