// Ceiling 2: a bare node:http server that does only the storage work of a request, with the same SDK client
// configuration against the same DynamoDB Local: GET reads the job item (GetItem, consistent); POST writes a
// job item and its name item in one transaction. No routing, validation, authentication or envelope.
import { GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { createServer } from 'node:http';
import { createDynamoClient } from '../../functions/adapters/dynamodb/table-client.ts';
import { newId } from '../../functions/core/ids.ts';

const [endpoint, tableName, workspace, project, jobId] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const client = createDynamoClient({ tableName, endpoint });
const pk = `WS#${workspace}#PRJ#${project}`;

async function handle(method: string, body: string): Promise<[number, string]> {
  if (method === 'GET') {
    const output = await client.send(
      new GetItemCommand({ TableName: tableName, Key: marshall({ PK: pk, SK: `JOB#${jobId}` }), ConsistentRead: true }),
    );
    return [200, JSON.stringify(output.Item ? unmarshall(output.Item) : null)];
  }
  const spec = JSON.parse(body) as { name: string };
  const id = newId('job');
  const item = { PK: pk, SK: `JOB#${id}`, id, ...spec };
  await client.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: tableName, Item: marshall(item), ConditionExpression: 'attribute_not_exists(PK)' } },
        {
          Put: {
            TableName: tableName,
            Item: marshall({ PK: pk, SK: `NAME#${spec.name}`, job_id: id }),
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      ],
    }),
  );
  return [201, JSON.stringify(item)];
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    handle(request.method ?? 'GET', Buffer.concat(chunks).toString('utf8')).then(
      ([status, text]) => {
        response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        response.end(text);
      },
      (error: Error) => {
        response.writeHead(500);
        response.end(error.message);
      },
    );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
