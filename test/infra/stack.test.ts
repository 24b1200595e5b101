import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes, type RouteDef } from '../../functions/api/routes.ts';
import { createTableInput, TABLE_SCHEMA } from '../../functions/adapters/aws/dynamodb/table.ts';
import { actionsOf, statementsOf, synthesize } from './stack-helpers.ts';

let ctx: ReturnType<typeof synthesize>;
const id = (construct: { node: { defaultChild?: unknown } }) => ctx.stack.getLogicalId(construct.node.defaultChild as never);

beforeAll(() => {
  ctx = synthesize();
});

describe('the table', () => {
  it('has the key schema and indexes of the shared schema module the local host uses', () => {
    const local = createTableInput('any');
    const tables = ctx.template.findResources('AWS::DynamoDB::Table');
    const [table] = Object.values(tables) as Array<{ Properties: any; DeletionPolicy: string }>;
    expect(table!.Properties.KeySchema).toEqual(local.KeySchema);
    expect(table!.Properties.AttributeDefinitions).toEqual(expect.arrayContaining(local.AttributeDefinitions!));
    expect(table!.Properties.AttributeDefinitions).toHaveLength(local.AttributeDefinitions!.length);
    expect(table!.Properties.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
    expect(table!.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(table!.DeletionPolicy).toBe('Retain');
  });
});

describe('the HTTP API', () => {
  it('has one route per entry of the route table, plus $default', () => {
    const keys = Object.values(ctx.template.findResources('AWS::ApiGatewayV2::Route')).map((r: any) => r.Properties.RouteKey);
    const expected = (Object.values(routes) as RouteDef[]).map((r) => `${r.method} ${r.path}`);
    expect(keys.sort()).toEqual([...expected, '$default'].sort());
  });

  it('logs access and throttles by default on its $default stage', () => {
    ctx.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
  });

  it('runs every function on Node 24, arm64, with X-Ray tracing', () => {
    const functions = Object.values(ctx.template.findResources('AWS::Lambda::Function')) as Array<{ Properties: any }>;
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
    }
  });
});

describe('least privilege', () => {
  const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
  const SECRET = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
  const READ = ['dynamodb:GetItem', 'dynamodb:Query'];
  const WRITE = ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

  it('gives the jobs and keys functions table reads and item writes, and the admin key', () => {
    for (const fn of [ctx.stack.api.functions.jobs, ctx.stack.api.functions.keys]) {
      expect(actionsOf(ctx.template, id(fn))).toEqual([...READ, ...WRITE, ...SECRET, ...XRAY].sort());
    }
  });

  it('gives the system function reads only', () => {
    expect(actionsOf(ctx.template, id(ctx.stack.api.functions.system))).toEqual([...READ, ...SECRET, ...XRAY].sort());
  });

  it('gives the fallback function nothing but tracing', () => {
    expect(actionsOf(ctx.template, id(ctx.stack.api.functions.fallback))).toEqual(XRAY);
  });

  it('scopes table actions to the table and its indexes, and secret actions to the admin key', () => {
    const tableId = ctx.stack.getLogicalId(ctx.stack.store.table.node.defaultChild as never);
    const secretId = ctx.stack.getLogicalId(ctx.stack.store.adminKey.node.defaultChild as never);
    for (const statement of statementsOf(ctx.template, id(ctx.stack.api.functions.jobs))) {
      const resources = JSON.stringify(statement.Resource);
      const actions = statement.Action as string[];
      if (actions.some((a) => a.startsWith('dynamodb:'))) {
        expect(resources).toContain(tableId);
        expect(resources).not.toContain('"*"');
      } else if (actions.some((a) => a.startsWith('secretsmanager:'))) {
        expect(statement.Resource).toEqual({ Ref: secretId });
      }
    }
  });

  it('tells each function where the table and the admin key are', () => {
    const env = (ctx.template.toJSON().Resources[id(ctx.stack.api.functions.jobs)] as any).Properties.Environment.Variables;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['JOBS_TABLE_NAME', 'JOBS_ADMIN_KEY_SECRET_ARN']));
  });
});
