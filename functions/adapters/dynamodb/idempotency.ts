// The Idempotency port on Powertools for AWS Lambda's idempotency utility, persisted in the single table
// (PK = IDEMPOTENCY, SK = the hashed key, expiring through the table's TTL attribute after 24 hours).
// Powertools' errors are translated here, so nothing above sees them.
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ConflictError, IdempotencyMismatchError, UnavailableError } from '../../core/errors.ts';
import type { Idempotency } from '../../core/ports.ts';
import { TABLE_SCHEMA } from './table.ts';
import type { DynamoTable } from './table-client.ts';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** The longest an API request runs: API Gateway's integration timeout. */
const API_REQUEST_MS = 29_000;

interface Call {
  scope: string;
  key: string;
  payload: unknown;
}

export class DynamoIdempotency implements Idempotency {
  readonly #guarded: (call: Call, fn: () => Promise<unknown>) => Promise<unknown>;

  constructor(table: DynamoTable) {
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName: table.name,
      awsSdkV3Client: table.client,
      keyAttr: TABLE_SCHEMA.partitionKey,
      sortKeyAttr: TABLE_SCHEMA.sortKey,
      staticPkValue: 'IDEMPOTENCY',
      expiryAttr: TABLE_SCHEMA.timeToLiveAttribute,
    });
    const config = new IdempotencyConfig({
      eventKeyJmesPath: '[scope, key]',
      payloadValidationJmesPath: 'payload',
      expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
    });
    // A request in progress is guarded for as long as an API request may take: API Gateway's integration timeout
    // (Powertools reads it off the Lambda context, which the port does not carry, and says so in plain text).
    type LambdaContext = Parameters<IdempotencyConfig['registerLambdaContext']>[0];
    config.registerLambdaContext({ getRemainingTimeInMillis: () => API_REQUEST_MS } as LambdaContext);
    this.#guarded = makeIdempotent(async (_call: Call, fn: () => Promise<unknown>) => fn(), {
      persistenceStore,
      config,
      dataIndexArgument: 0,
    });
  }

  async once<T>(scope: string, key: string, payload: unknown, fn: () => Promise<T>): Promise<T> {
    try {
      // Powertools hashes the payload as JSON; an absent body and an empty one are the same request.
      return (await this.#guarded({ scope, key, payload: payload ?? {} }, fn)) as T;
    } catch (error) {
      if (error instanceof IdempotencyValidationError) throw new IdempotencyMismatchError();
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new ConflictError(
          'a request with this Idempotency-Key is still being processed; retry shortly',
          'Idempotency-Key',
        );
      }
      if (error instanceof IdempotencyPersistenceLayerError) throw new UnavailableError('DynamoDB', { cause: error });
      throw error;
    }
  }
}
