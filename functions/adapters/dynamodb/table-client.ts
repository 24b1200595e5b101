// One handle on the table: the SDK client, the table name, and the translation of SDK failures into domain
// errors at the edge, so nothing above the adapters ever sees an SDK exception type.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
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

  constructor(config: TableConfig, client?: DynamoDBClient) {
    this.name = config.tableName;
    this.client = client ?? createDynamoClient(config);
  }

  /** Sends a command; connection failures and throttling become UnavailableError (503, retry). */
  async send<T = unknown>(command: object): Promise<T> {
    try {
      return (await this.client.send(command as never)) as T;
    } catch (error) {
      throw unavailableIfTransient('DynamoDB', error);
    }
  }
}

export function createDynamoClient(config: TableConfig): DynamoDBClient {
  // Short timeouts: an unreachable engine must turn into a 503 within seconds, never a hung request (a stopped
  // engine refuses at once; these bound a hung one). A burst waits for one of a bounded set of kept-alive
  // connections rather than opening hundreds at once (more than an engine's accept queue holds). The connection
  // timeout also runs while a request waits for one of those connections, so it must outlast a burst's queue:
  // at 1 s, 200 schedules firing together timed out and retried, firing seconds late.
  const requestHandler = new NodeHttpHandler({
    connectionTimeout: 5_000,
    requestTimeout: 5_000,
    httpAgent: new Agent({ keepAlive: true, maxSockets: 32 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
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
