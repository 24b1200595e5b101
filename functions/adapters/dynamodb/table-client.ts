// One handle on the table: the SDK client, the table name, and the translation of SDK failures into domain
// errors at the edge, so nothing above the adapters ever sees an SDK exception type.
import {
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { unavailableIfTransient } from '../transient.ts';

export interface TableConfig {
  tableName: string;
  /** Set for DynamoDB Local; unset in AWS. */
  endpoint?: string | undefined;
  region?: string | undefined;
}

export class DynamoTable {
  readonly client: DynamoDBClient;
  readonly name: string;
  readonly #config: TableConfig;
  #reader: DynamoDBClient | undefined;

  constructor(config: TableConfig, client?: DynamoDBClient) {
    this.name = config.tableName;
    this.#config = config;
    this.client = client ?? createDynamoClient(config);
  }

  #readClient(): DynamoDBClient {
    this.#reader ??= createDynamoClient(this.#config);
    return this.#reader;
  }

  /** Closes the table's connections. */
  destroy(): void {
    this.client.destroy();
    this.#reader?.destroy();
  }

  /**
   * The same table over a few connections of its own: for a check that must not wait in line behind a burst of
   * requests holding every connection of the shared pool (health). Its client is the caller's to destroy.
   */
  apart(sockets = 2): DynamoTable {
    return new DynamoTable(this.#config, createDynamoClient(this.#config, sockets));
  }

  /**
   * Sends a command; connection failures and throttling become UnavailableError (503, retry). Reads go over
   * connections of their own: a burst of writes that holds every connection of the pool (500 triggers at once)
   * does not make a read wait in line behind it.
   */
  async send<T = unknown>(command: object): Promise<T> {
    const client = isRead(command) ? this.#readClient() : this.client;
    try {
      return (await client.send(command as never)) as T;
    } catch (error) {
      throw unavailableIfTransient('DynamoDB', error);
    }
  }
}

/** Whether a command only reads: reads have connections of their own. */
function isRead(command: object): boolean {
  return command instanceof GetItemCommand || command instanceof QueryCommand || command instanceof BatchGetItemCommand;
}

export function createDynamoClient(config: TableConfig, sockets = 32): DynamoDBClient {
  // Short timeouts: an unreachable engine must turn into a 503 within seconds, never a hung request (a stopped
  // engine refuses at once; these bound a hung one). A burst waits for one of a bounded set of kept-alive
  // connections rather than opening hundreds at once (more than an engine's accept queue holds). The connection
  // timeout also runs while a request waits for one of those connections, so it must outlast a burst's queue:
  // at 1 s, 200 schedules firing together timed out and retried, firing seconds late.
  const requestHandler = new NodeHttpHandler({
    connectionTimeout: 5_000,
    requestTimeout: 5_000,
    httpAgent: new Agent({ keepAlive: true, maxSockets: sockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: sockets * 2 }),
  });
  const options: DynamoDBClientConfig = { requestHandler, maxAttempts: 2 };
  if (config.region) options.region = config.region;
  if (config.endpoint) {
    // DynamoDB Local accepts any credentials; these keep the SDK from searching for real ones.
    options.endpoint = config.endpoint;
    options.region = config.region ?? 'local';
    options.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  return new DynamoDBClient(options);
}
