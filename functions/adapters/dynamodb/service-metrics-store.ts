// The service's counters on DynamoDB: one item per project (PK = the project, SK = METRICS), its counters added to
// atomically (ADD), listed through the sparse lookup index (GSI3PK = METRICS), never by a Scan.
import { UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { ProjectRef } from '../../core/pages.ts';
import type { Counters, ServiceMetricsStore } from '../../core/service-metrics.ts';
import { key } from './keys.ts';
import { queryPage } from './paginate.ts';
import { TABLE_SCHEMA } from './table.ts';
import type { DynamoTable } from './table-client.ts';

const { lookups } = TABLE_SCHEMA.indexes;
const COUNTER = /^[a-z]+(_[a-z0-9]+)*$/;

export class DynamoServiceMetricsStore implements ServiceMetricsStore {
  readonly #table: DynamoTable;

  constructor(table: DynamoTable) {
    this.#table = table;
  }

  async add(ref: ProjectRef, counters: Counters): Promise<void> {
    const names: Record<string, string> = {
      '#lpk': lookups.partitionKey,
      '#lsk': lookups.sortKey,
      '#ws': 'workspace_id',
      '#project': 'project_id',
    };
    const values: Record<string, AttributeValue> = marshall({
      ':lpk': key.metrics,
      ':lsk': `${ref.workspace_id}#${ref.project_id}`,
      ':ws': ref.workspace_id,
      ':project': ref.project_id,
    });
    const adds: string[] = [];
    Object.entries(counters).forEach(([name, by], i) => {
      if (!COUNTER.test(name) || by === 0) return;
      names[`#c${i}`] = name;
      values[`:c${i}`] = { N: String(by) };
      adds.push(`#c${i} :c${i}`);
    });
    if (adds.length === 0) return;
    await this.#table.send(
      new UpdateItemCommand({
        TableName: this.#table.name,
        Key: marshall({ PK: key.project(ref), SK: key.metrics }),
        UpdateExpression: `SET #lpk = :lpk, #lsk = :lsk, #ws = :ws, #project = :project ADD ${adds.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async all(): Promise<Array<{ ref: ProjectRef; counters: Counters }>> {
    const found: Array<{ ref: ProjectRef; counters: Counters }> = [];
    let cursor: Record<string, AttributeValue> | undefined;
    do {
      const page = await queryPage(this.#table, {
        input: {
          IndexName: lookups.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': lookups.partitionKey },
          ExpressionAttributeValues: { ':pk': { S: key.metrics } },
        },
        limit: 100,
        startKey: cursor,
        map: (item) => {
          const counters: Counters = {};
          for (const [name, value] of Object.entries(item))
            if (typeof value === 'number' && COUNTER.test(name)) counters[name] = value;
          return {
            ref: { workspace_id: String(item.workspace_id), project_id: String(item.project_id) },
            counters,
          };
        },
        cursorOf: (item) =>
          JSON.stringify({
            PK: item.PK,
            SK: item.SK,
            [lookups.partitionKey]: item[lookups.partitionKey],
            [lookups.sortKey]: item[lookups.sortKey],
          }),
      });
      found.push(...page.items);
      cursor = page.next_cursor ? marshall(JSON.parse(page.next_cursor)) : undefined;
    } while (cursor);
    return found;
  }
}
