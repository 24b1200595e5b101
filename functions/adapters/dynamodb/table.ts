// The single table's key schema: the one definition both the CDK stack and the local host create tables from.
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const TABLE_SCHEMA = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** Epoch seconds; items with a past value are removed by DynamoDB (idempotency records, old samples). */
  timeToLiveAttribute: 'expires_at',
  indexes: {
    /** A project's runs, newest first: GSI1PK = WS#<ws>#PRJ#<project>, GSI1SK = RUN#<run id>. */
    projectRuns: { name: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
    /** A workspace's runs, newest first: GSI2PK = WS#<ws>, GSI2SK = RUN#<run id>. */
    workspaceRuns: { name: 'GSI2', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
    /**
     * Sparse lookups no API path may Scan for: pending and running runs (GSI3PK = ACTIVE, for recovery), jobs
     * with a schedule (GSI3PK = SCHEDULED, for the local scheduler), events not yet handed on (GSI3PK = OUTBOX),
     * webhook deliveries waiting for their next attempt (GSI3PK = DUE, by its time) and finished runs past their
     * job's age limit (GSI3PK = EXPIRES, by the time they expire, for the age sweep). Items outside these sets
     * carry no GSI3 keys.
     */
    lookups: { name: 'GSI3', partitionKey: 'GSI3PK', sortKey: 'GSI3SK' },
  },
} as const;

/** The CreateTable request for a table of this schema (on-demand, every index projecting all attributes). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const indexes = Object.values(TABLE_SCHEMA.indexes);
  const keyAttributes = [
    TABLE_SCHEMA.partitionKey,
    TABLE_SCHEMA.sortKey,
    ...indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}
