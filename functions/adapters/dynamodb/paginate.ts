// One page of a Query, exact in both directions: `limit` items at most, and a next cursor only when more exist.
// With a FilterExpression DynamoDB applies Limit before filtering, so filtered queries read ahead in larger
// chunks and keep going until the page is full or the partition is exhausted.
import {
  QueryCommand,
  type AttributeValue,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Page } from '../../core/ports.ts';
import type { DynamoTable } from './table-client.ts';

const FILTERED_READ_AHEAD = 200;
/** A filtered page stops after reading this many items, so one request never walks a whole partition. */
const MAX_ITEMS_READ = 10_000;

export interface PageQuery<T> {
  input: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey'>;
  limit: number;
  startKey?: Record<string, AttributeValue> | undefined;
  map(item: Record<string, unknown>): T;
  /** The cursor that resumes after an item, given its key attributes (an item or a LastEvaluatedKey). */
  cursorOf(key: Record<string, unknown>): string;
}

export async function queryPage<T>(table: DynamoTable, query: PageQuery<T>): Promise<Page<T>> {
  const filtered = query.input.FilterExpression !== undefined;
  const found: Array<{ value: T; raw: Record<string, unknown> }> = [];
  let startKey = query.startKey;
  let read = 0;
  do {
    const wanted = query.limit + 1 - found.length;
    const output = await table.send<QueryCommandOutput>(
      new QueryCommand({
        ...query.input,
        TableName: table.name,
        Limit: filtered ? Math.max(wanted, FILTERED_READ_AHEAD) : wanted,
        ExclusiveStartKey: startKey,
      }),
    );
    read += output.ScannedCount ?? 0;
    for (const item of output.Items ?? []) {
      const raw = unmarshall(item);
      found.push({ value: query.map(raw), raw });
      if (found.length > query.limit) break;
    }
    startKey = output.LastEvaluatedKey;
  } while (found.length <= query.limit && startKey && read < MAX_ITEMS_READ);

  const page = found.slice(0, query.limit);
  const items = page.map((entry) => entry.value);
  if (found.length > query.limit || (startKey && found.length === query.limit)) {
    return { items, next_cursor: query.cursorOf((page.at(-1) as { raw: Record<string, unknown> }).raw) };
  }
  // A filtered read stopped at its budget before the page filled: resume after the last item read.
  if (startKey) return { items, next_cursor: query.cursorOf(unmarshall(startKey)) };
  return { items, next_cursor: null };
}

/** Every item a Query finds, page after page (for partitions the caller knows are small enough to read whole). */
export async function queryAll(
  table: DynamoTable,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const output = await table.send<QueryCommandOutput>(
      new QueryCommand({ ...input, TableName: table.name, ExclusiveStartKey: startKey }),
    );
    items.push(...(output.Items ?? []).map((item) => unmarshall(item)));
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  return items;
}
