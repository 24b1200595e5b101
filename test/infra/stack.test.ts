import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes, type RouteDef } from '../../functions/api/routes.ts';
import { createTableInput, TABLE_SCHEMA } from '../../functions/adapters/dynamodb/table.ts';
import { FUNCTIONS, settingsOf, type FunctionName, type Use } from '../../functions/composition/functions.ts';
import { PLACEHOLDERS, runStateMachineText } from '../../functions/orchestration/state-machine/definition.ts';
import { actionsOf, statementsOf, synthesize } from './stack-helpers.ts';

let ctx: ReturnType<typeof synthesize>;
const id = (construct: { node: { defaultChild?: unknown } }) =>
  ctx.stack.getLogicalId(construct.node.defaultChild as never);

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
    const keys = Object.values(ctx.template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r: any) => r.Properties.RouteKey,
    );
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
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
      });
    }
  });
});

describe('least privilege', () => {
  /** What every function has: writes to its own log group, and active tracing. */
  const OWN = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
  const SECRET = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
  const READ = ['dynamodb:GetItem', 'dynamodb:Query'];
  const WRITE = ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
  const expected = (...groups: string[][]) => [...new Set(groups.flat())].sort();

  /** What each declared use is granted (the test's own reading of the IAM each adapter needs). */
  const USE_ACTIONS: Record<Use, string[]> = {
    'table:read': READ,
    'table:write': WRITE,
    'table:batch-delete': ['dynamodb:BatchWriteItem'],
    'admin-key': SECRET,
    'executions:start': ['states:StartExecution'],
    'executions:stop': ['states:StopExecution'],
    'executions:describe': ['states:DescribeExecution'],
    'container-logs:read': ['logs:FilterLogEvents', 'logs:GetLogEvents'],
    'container-logs:delete': ['logs:DescribeLogStreams', 'logs:DeleteLogStream'],
    'container-logs:write': ['logs:PutLogEvents'],
    schedules: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'iam:PassRole'],
    'task-definitions': ['ecs:RegisterTaskDefinition', 'ecs:TagResource', 'iam:PassRole'],
    'container-metrics': ['cloudwatch:GetMetricData'],
    'events:put': ['events:PutEvents'],
    'deliveries:enqueue': ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
    'secret-values:read': ['secretsmanager:GetSecretValue'],
    'secret-values:write': [
      'secretsmanager:CreateSecret',
      'secretsmanager:DeleteSecret',
      'secretsmanager:PutSecretValue',
      'secretsmanager:TagResource',
    ],
    admission: ['states:SendTaskFailure', 'states:SendTaskSuccess'],
  };
  /** What a function's event source adds: the publisher reads the table's stream and parks failures in its queue. */
  const SOURCE_ACTIONS: Partial<Record<FunctionName, string[]>> = {
    'event-publisher': [
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ],
    // The delivery function reads the deliveries queue.
    deliveries: [
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ],
  };
  const functionOf = (name: FunctionName) => {
    const { api, orchestration, scheduling, events } = ctx.stack;
    const others: Record<string, unknown> = {
      'event-publisher': events.publisherFunction,
      deliveries: events.deliveryFunction,
      'run-state': orchestration.runStateFunction,
      'ecs-events': orchestration.ecsEventsFunction,
      reconciler: orchestration.reconcilerFunction,
      'scheduled-trigger': scheduling.triggerFunction,
    };
    return (others[name] ?? api.functions[name as keyof typeof api.functions]) as { node: { defaultChild?: unknown } };
  };
  const BASE_ENV = ['LOG_LEVEL', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME'];

  it('has one function per declared function, and no other', () => {
    expect(Object.keys(ctx.template.findResources('AWS::Lambda::Function'))).toHaveLength(
      Object.keys(FUNCTIONS).length,
    );
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    'gives the %s function exactly the permissions and settings of the uses it declares',
    (name) => {
      const uses = FUNCTIONS[name].uses as readonly Use[];
      expect(actionsOf(ctx.template, id(functionOf(name)))).toEqual(
        expected(...uses.map((use) => USE_ACTIONS[use]), SOURCE_ACTIONS[name] ?? [], OWN),
      );
      const env = (ctx.template.toJSON().Resources[id(functionOf(name))] as any).Properties.Environment.Variables;
      expect(Object.keys(env).sort()).toEqual([...BASE_ENV, ...settingsOf(uses)].sort());
    },
  );

  it('grants GetMetricData on "*" only because CloudWatch has no resource-level permission for it', () => {
    const statements = statementsOf(ctx.template, id(ctx.stack.api.functions.metrics));
    const wildcard = statements.filter((st) => st.Resource === '*');
    expect(wildcard.flatMap((st) => st.Action as string[]).sort()).toEqual([
      'cloudwatch:GetMetricData',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('lets each function write logs to its own log group only (run-state also to the containers), with no AWS-managed policy', () => {
    const functions = Object.entries(ctx.template.findResources('AWS::Lambda::Function')) as Array<
      [string, { Properties: any }]
    >;
    const containers = ctx.stack.getLogicalId(ctx.stack.runner.logGroup.node.defaultChild as never);
    const runState = id(ctx.stack.orchestration.runStateFunction);
    for (const [logicalId, fn] of functions) {
      const writes = statementsOf(ctx.template, logicalId).filter((st) =>
        (st.Action as string[]).includes('logs:PutLogEvents'),
      );
      // The run-state function also writes a line of its own into a run's log (what it says of the run's output).
      expect(writes.map((st) => st.Resource)).toEqual([
        { 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] },
        ...(logicalId === runState
          ? [
              {
                'Fn::Join': [
                  '',
                  ['arn:aws:logs:eu-west-1:123456789012:log-group:', { Ref: containers }, ':log-stream:*'],
                ],
              },
            ]
          : []),
      ]);
    }
    const roles = Object.values(ctx.template.findResources('AWS::IAM::Role')) as Array<{ Properties: any }>;
    expect(roles.flatMap((role) => role.Properties.ManagedPolicyArns ?? [])).toEqual([]);
  });

  it('scopes table actions to the table and its indexes, and secret actions to the admin key', () => {
    const tableId = ctx.stack.getLogicalId(ctx.stack.store.table.node.defaultChild as never);
    const secretId = ctx.stack.getLogicalId(ctx.stack.store.adminKey.node.defaultChild as never);
    for (const statement of statementsOf(ctx.template, id(ctx.stack.api.functions.jobs))) {
      const resources = JSON.stringify(statement.Resource);
      const actions = statement.Action as string[];
      if (actions.some((a) => a.startsWith('dynamodb:'))) {
        expect(resources).toContain(tableId);
        expect(resources).not.toContain('*');
        if (actions.includes('dynamodb:Query'))
          for (const index of Object.values(TABLE_SCHEMA.indexes)) expect(resources).toContain(`/index/${index.name}"`);
      } else if (actions.some((a) => a.startsWith('secretsmanager:'))) {
        expect(statement.Resource).toEqual({ Ref: secretId });
      }
    }
  });

  it("limits the state machine to invoking its function and running this cluster's job tasks", () => {
    const roleId = ctx.stack.getLogicalId(ctx.stack.orchestration.stateMachine.role.node.defaultChild as never);
    const policies = Object.values(ctx.template.findResources('AWS::IAM::Policy')).filter((p: any) =>
      p.Properties.Roles.some((r: any) => r.Ref === roleId),
    );
    const statements = policies.flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const actions = [...new Set(statements.flatMap((st: any) => [st.Action].flat()))].sort();
    expect(actions).toEqual([
      'ecs:DescribeTasks',
      'ecs:RunTask',
      'ecs:StopTask',
      'ecs:TagResource',
      'events:DescribeRule',
      'events:PutRule',
      'events:PutTargets',
      'iam:PassRole',
      'lambda:InvokeFunction',
      'logs:CreateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:DescribeLogGroups',
      'logs:DescribeResourcePolicies',
      'logs:GetLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:UpdateLogDelivery',
      'states:DescribeExecution',
      'states:StartExecution',
      'states:StopExecution',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const runTask = statements.find((st: any) => st.Action === 'ecs:RunTask');
    expect(JSON.stringify(runTask.Resource)).toContain('task-definition/job-*');
    const passRole = statements.find((st: any) => st.Action === 'iam:PassRole');
    // The stack's two roles, and the jobs' own under the task role path.
    expect(passRole.Resource).toHaveLength(3);
    expect(passRole.Resource).toContain('arn:aws:iam::123456789012:role/jobs-tasks/*');
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    // The distributed Map starts its tasks as child executions of this state machine only, and follows only those.
    const start = statements.find((st: any) => st.Action === 'states:StartExecution');
    expect(JSON.stringify(start.Resource)).toMatch(/:stateMachine:[^"*]*-runs"/);
    const children = statements.find((st: any) => [st.Action].flat().includes('states:StopExecution'));
    expect(JSON.stringify(children.Resource)).toMatch(/:execution:[^"*]*-runs\/\*"/);
  });

  it('lets the jobs function register job task definitions, tagging only job families and passing only the task roles and the roles under the task role path', () => {
    const statements = statementsOf(ctx.template, id(ctx.stack.api.functions.jobs)) as any[];
    const register = statements.find((st) => [st.Action].flat().includes('ecs:RegisterTaskDefinition'));
    expect(register.Resource).toBe('*');
    const tag = statements.find((st) => [st.Action].flat().includes('ecs:TagResource'));
    expect(JSON.stringify(tag.Resource)).toContain('task-definition/job-*:*');
    expect(tag.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } });
    const pass = statements.find(
      (st) =>
        [st.Action].flat().includes('iam:PassRole') &&
        st.Condition.StringEquals['iam:PassedToService'] === 'ecs-tasks.amazonaws.com',
    );
    const roleIds = [ctx.stack.runner.executionRole, ctx.stack.runner.taskRole].map((role) =>
      ctx.stack.getLogicalId(role.node.defaultChild as never),
    );
    const passable = [
      ...roleIds.map((roleId) => ({ 'Fn::GetAtt': [roleId, 'Arn'] })),
      'arn:aws:iam::123456789012:role/jobs-tasks/*',
    ];
    expect(pass.Resource).toHaveLength(passable.length);
    expect(pass.Resource).toEqual(expect.arrayContaining(passable));
  });

  it("lets ECS read jobs' secrets only under the stack's prefix, and the secrets function write only there", () => {
    const prefix = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:TestStack/secrets/*';
    const executionRole = ctx.stack.getLogicalId(ctx.stack.runner.executionRole.node.defaultChild as never);
    const policies = ctx.template.findResources('AWS::IAM::Policy') as Record<string, any>;
    const secretStatements = Object.values(policies)
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(executionRole))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('secretsmanager:')));
    expect(secretStatements).toEqual([
      expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: prefix }),
    ]);
    const writes = (statementsOf(ctx.template, id(ctx.stack.api.functions.secrets)) as any[]).filter((st) =>
      [st.Action]
        .flat()
        .some(
          (a: string) =>
            a.startsWith('secretsmanager:') &&
            a !== 'secretsmanager:GetSecretValue' &&
            a !== 'secretsmanager:DescribeSecret',
        ),
    );
    expect(writes.map((st) => st.Resource)).toEqual([prefix]);
  });

  it("tells the functions that start runs where each job network puts a task: private from the deployment's config, none with no egress", () => {
    const privateNetwork = {
      vpcId: 'vpc-0abc',
      subnetIds: ['subnet-0aaa', 'subnet-0bbb'],
      securityGroupIds: ['sg-0ccc'],
    };
    const { stack, template } = synthesize({ privateNetwork });
    const runs = template.toJSON().Resources[stack.getLogicalId(stack.api.functions.runs.node.defaultChild as never)];
    const networks = JSON.stringify(runs.Properties.Environment.Variables.JOBS_TASK_NETWORKS);
    expect(networks).toContain(
      '\\"private\\":{\\"subnets\\":[\\"subnet-0aaa\\",\\"subnet-0bbb\\"],\\"security_groups\\":[\\"sg-0ccc\\"],\\"assign_public_ip\\":\\"DISABLED\\"}',
    );
    const isolated = stack.getLogicalId(
      stack.node.findAll().find((c) => c.node.id === 'NoNetworkSecurityGroup')!.node.defaultChild as never,
    );
    expect(template.toJSON().Resources[isolated].Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
    ]);
    expect(() => synthesize({ privateNetwork: { ...privateNetwork, subnetIds: ['my-subnet'] } })).toThrow(
      /privateNetwork must be/,
    );
    // Without the config, a job cannot be private: the deployment offers public and none only.
    expect(JSON.stringify(ctx.template.toJSON())).not.toContain('\\"private\\":');
  });

  it('lets the execution role read the existing secrets the deployment lists, and refuses a list that names every secret', () => {
    const linked = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team-a/*';
    const { stack, template } = synthesize({ linkedSecretArns: [linked] });
    const role = stack.getLogicalId(stack.runner.executionRole.node.defaultChild as never);
    const statements = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, any>)
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => st.Action === 'secretsmanager:GetSecretValue');
    expect(statements.map((st: any) => st.Resource)).toEqual([
      ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:TestStack/secrets/*', linked],
    ]);
    expect(() => synthesize({ linkedSecretArns: ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:*'] })).toThrow(
      /narrower than every secret/,
    );
  });
});

describe('orchestration', () => {
  it('deploys the very definition the local host executes, with the documented timeout path', () => {
    const [machine] = Object.values(ctx.template.findResources('AWS::StepFunctions::StateMachine')) as Array<{
      Properties: any;
    }>;
    expect(machine!.Properties.DefinitionString).toBe(runStateMachineText());
    expect(Object.keys(machine!.Properties.DefinitionSubstitutions).sort()).toEqual([...PLACEHOLDERS].sort());
    expect(machine!.Properties.DefinitionSubstitutions.ContainerTimeoutPath).toBe('$.timeout_seconds');
    expect(machine!.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
    });
    expect(machine!.Properties.LoggingConfiguration.Destinations).toHaveLength(1);
  });

  it("fans a run's tasks out with a distributed Map: concurrency from the input, one ecs:runTask.sync per task, started by the run and tagged with its task index", () => {
    const definition = JSON.parse(runStateMachineText());
    const map = definition.States.Tasks;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.task_indexes',
      MaxConcurrencyPath: '$.parallelism',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
    });
    expect(map.ItemSelector.task).toEqual({ 'index.$': '$$.Map.Item.Value', 'count.$': '$.task_count' });
    const container = map.ItemProcessor.States.Attempt.Branches[0].States.RunContainer;
    expect(container.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
    expect(container.Parameters['StartedBy.$']).toBe('$.run.run_id');
    expect(container.Parameters.Tags).toContainEqual({
      Key: 'jobs:task-index',
      'Value.$': "States.Format('{}', $.task.index)",
    });
    expect(container.Parameters.Overrides.ContainerOverrides[0]['Environment.$']).toBe('$.attempt.environment');
    // The run settles once, after every task has ended.
    expect(map.Next).toBe('Finish');
    expect(definition.States.Finish.Parameters.Payload).toEqual({ action: 'finish', 'run.$': '$.run' });
  });

  it('routes ECS task starts and stops, ended executions and a periodic sweep to their functions', () => {
    const rules = Object.values(ctx.template.findResources('AWS::Events::Rule')) as Array<{ Properties: any }>;
    const patterns = rules.map((r) => r.Properties.EventPattern);
    expect(patterns).toContainEqual(
      expect.objectContaining({
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: expect.objectContaining({ lastStatus: ['RUNNING', 'STOPPED'], group: [{ prefix: 'family:job-' }] }),
      }),
    );
    expect(patterns).toContainEqual(
      expect.objectContaining({
        source: ['aws.states'],
        detail: expect.objectContaining({ status: ['FAILED', 'TIMED_OUT', 'ABORTED'] }),
      }),
    );
    const sweep = rules.find((r) => r.Properties.ScheduleExpression === 'rate(5 minutes)');
    expect(JSON.stringify(sweep?.Properties.Targets)).toContain(id(ctx.stack.orchestration.reconcilerFunction));
    // Slow runs and missed fires: the reconciler each minute, told which sweep by its input.
    const alerts = rules.find((r) => JSON.stringify(r.Properties.Targets ?? []).includes('alert_sweep'));
    expect(alerts?.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(alerts?.Properties.Targets).toEqual([
      expect.objectContaining({ Input: JSON.stringify({ action: 'alert_sweep' }) }),
    ]);
    expect(JSON.stringify(alerts?.Properties.Targets)).toContain(id(ctx.stack.orchestration.reconcilerFunction));
  });

  it('runs containers on Fargate with Container Insights, in a VPC without NAT gateways', () => {
    ctx.template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    ctx.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const groups = Object.values(ctx.template.findResources('AWS::EC2::SecurityGroup')) as Array<{ Properties: any }>;
    expect(groups.every((g) => (g.Properties.SecurityGroupIngress ?? []).length === 0)).toBe(true);
  });
});

describe('scheduling', () => {
  it('has a schedule group, a dead-letter queue, and a role that may only invoke the trigger function and use the queue', () => {
    ctx.template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    ctx.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    const roleId = ctx.stack.getLogicalId(ctx.stack.scheduling.schedulerRole.node.defaultChild as never);
    const role = (ctx.template.toJSON().Resources as any)[roleId];
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0]).toMatchObject({
      Principal: { Service: 'scheduler.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
    const statements = Object.values(ctx.template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect([...new Set(statements.flatMap((st: any) => [st.Action].flat()))].sort()).toEqual([
      'lambda:InvokeFunction',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    const triggerId = id(ctx.stack.scheduling.triggerFunction);
    expect(
      JSON.stringify(statements.find((st: any) => [st.Action].flat().includes('lambda:InvokeFunction')).Resource),
    ).toContain(triggerId);
  });

  it("scopes the jobs function's schedule rights to the group's job-* schedules and passing only the scheduler role", () => {
    const statements = statementsOf(ctx.template, id(ctx.stack.api.functions.jobs));
    const manage = statements.find((st) => (st.Action as string[]).includes('scheduler:CreateSchedule'))!;
    expect(JSON.stringify(manage.Resource)).toMatch(/schedule\/.*\/job-\*/);
    const schedulerRole = ctx.stack.getLogicalId(ctx.stack.scheduling.schedulerRole.node.defaultChild as never);
    const pass = statements.find(
      (st) => (st.Action as string[]).includes('iam:PassRole') && JSON.stringify(st.Resource).includes(schedulerRole),
    ) as any;
    expect(pass.Resource).toEqual({ 'Fn::GetAtt': [schedulerRole, 'Arn'] });
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  });
});

describe('observability', () => {
  const alarms = () =>
    Object.values(ctx.template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: any }>;
  const alarmOn = (namespace: string, metricName: string) =>
    alarms().filter((a) => a.Properties.Namespace === namespace && a.Properties.MetricName === metricName);

  it('alarms on errors, throttles and near-timeout duration of every function', () => {
    const functionIds = Object.entries(ctx.template.findResources('AWS::Lambda::Function')).map(
      ([logicalId]) => logicalId,
    );
    expect(functionIds).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const metricName of ['Errors', 'Throttles', 'Duration']) {
      const watched = alarmOn('AWS/Lambda', metricName).map((a) => a.Properties.Dimensions[0].Value.Ref);
      expect(watched.sort()).toEqual([...functionIds].sort());
    }
    const runState = alarmOn('AWS/Lambda', 'Duration').find(
      (a) => a.Properties.Dimensions[0].Value.Ref === id(ctx.stack.orchestration.runStateFunction),
    )!;
    expect(runState.Properties).toMatchObject({ ExtendedStatistic: 'p99', Threshold: 48_000 });
  });

  it('alarms on API 5xx, failed, timed-out and throttled executions, and scheduled fires in the dead-letter queue', () => {
    const apiId = ctx.stack.getLogicalId(ctx.stack.api.httpApi.node.defaultChild as never);
    expect(alarmOn('AWS/ApiGateway', '5xx').map((a) => a.Properties.Dimensions)).toEqual([
      [{ Name: 'ApiId', Value: { Ref: apiId } }],
    ]);
    const machineId = ctx.stack.getLogicalId(ctx.stack.orchestration.stateMachine.node.defaultChild as never);
    for (const metricName of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionThrottled']) {
      const [alarm] = alarmOn('AWS/States', metricName);
      expect(alarm?.Properties.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: machineId } }]);
      expect(alarm?.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
    const queueId = ctx.stack.getLogicalId(ctx.stack.scheduling.deadLetterQueue.node.defaultChild as never);
    const [dlq] = alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible');
    expect(dlq?.Properties).toMatchObject({
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
    });
    // Failing jobs and missed schedules, from the figures the functions print in the embedded metric format.
    for (const metricName of ['JobsFailing', 'SchedulesMissed']) {
      const [alarm, ...more] = alarmOn('Jobs', metricName);
      expect(more).toEqual([]);
      expect(alarm?.Properties).toMatchObject({
        Dimensions: [{ Name: 'service', Value: 'jobs' }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('sends every alarm to one topic that refuses plain-text publishing', () => {
    const topicId = ctx.stack.getLogicalId(ctx.stack.observability.alarmTopic.node.defaultChild as never);
    expect(alarms().length).toBe(ctx.stack.observability.alarms.length);
    for (const alarm of alarms()) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    ctx.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    ctx.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('graphs the API, the functions, the executions, the scheduled fires and the dead-letter queue on one dashboard', () => {
    const [dashboard] = Object.values(ctx.template.findResources('AWS::CloudWatch::Dashboard')) as Array<{
      Properties: any;
    }>;
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const metric of [
      'Count',
      '4xx',
      '5xx',
      'Latency',
      'Errors',
      'Throttles',
      'Duration',
      'ExecutionsStarted',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'InvocationAttemptCount',
      'TargetErrorCount',
      'ApproximateNumberOfMessagesVisible',
      // The service's own figures.
      'RunsSucceeded',
      'RunsFailed',
      'RunDuration',
      'QueueWait',
      'ScheduleLateness',
      'TasksRunning',
      'TasksPending',
      'WebhookDeliveriesFailed',
      'JobsFailing',
      'SchedulesMissed',
      'RunsSlow',
    ]) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
    ctx.template.hasOutput('*', {
      Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
      Description: 'The CloudWatch dashboard of the service',
    });
  });
});

describe('events', () => {
  it('reads only new event items off the table stream, retries refused records and parks the rest in a watched queue', () => {
    ctx.template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
    ctx.template.resourceCountIs('AWS::Events::EventBus', 1);
    const mappings = Object.values(ctx.template.findResources('AWS::Lambda::EventSourceMapping')) as Array<{
      Properties: any;
    }>;
    const streamMappings = mappings.filter((m) => m.Properties.StartingPosition);
    expect(streamMappings).toHaveLength(1);
    const mapping = streamMappings[0]!.Properties;
    expect(mapping.FunctionName).toEqual({ Ref: id(ctx.stack.events.publisherFunction) });
    expect(mapping).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      StartingPosition: 'TRIM_HORIZON',
    });
    expect(JSON.parse(mapping.FilterCriteria.Filters[0].Pattern)).toEqual({
      eventName: ['INSERT'],
      dynamodb: { NewImage: { SK: { S: [{ prefix: 'EVT#' }] } } },
    });
    const queueId = ctx.stack.getLogicalId(ctx.stack.events.deadLetterQueue.node.defaultChild as never);
    expect(mapping.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
    const alarms = Object.values(ctx.template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: any }>;
    expect(
      alarms.some(
        (a) =>
          a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Properties.Dimensions).includes(queueId),
      ),
    ).toBe(true);
  });

  it('waits deliveries in an encrypted queue read by the delivery function, with a watched dead-letter queue and a sweep', () => {
    const { events } = ctx.stack;
    const queueId = ctx.stack.getLogicalId(events.deliveryQueue.node.defaultChild as never);
    const deadId = ctx.stack.getLogicalId(events.deliveryDeadLetterQueue.node.defaultChild as never);
    const queue = (ctx.template.toJSON().Resources[queueId] as any).Properties;
    expect(queue).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadId, 'Arn'] }, maxReceiveCount: 5 },
    });
    const mappings = Object.values(ctx.template.findResources('AWS::Lambda::EventSourceMapping')) as Array<{
      Properties: any;
    }>;
    const read = mappings.filter((m) => JSON.stringify(m.Properties.EventSourceArn).includes(queueId));
    expect(read.map((m) => m.Properties)).toEqual([
      expect.objectContaining({
        FunctionName: { Ref: id(events.deliveryFunction) },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    ]);
    const rules = Object.values(ctx.template.findResources('AWS::Events::Rule')) as Array<{ Properties: any }>;
    const sweep = rules.filter((r) => JSON.stringify(r.Properties.Targets).includes(id(events.deliveryFunction)));
    expect(sweep.map((r) => r.Properties.ScheduleExpression)).toEqual(['rate(5 minutes)']);
    const alarms = Object.values(ctx.template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: any }>;
    expect(
      alarms.some(
        (a) =>
          a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Properties.Dimensions).includes(deadId),
      ),
    ).toBe(true);
  });

  it('lets only the functions that make or retry deliveries send to the deliveries queue', () => {
    const queueId = ctx.stack.getLogicalId(ctx.stack.events.deliveryQueue.node.defaultChild as never);
    const policies = Object.values(ctx.template.findResources('AWS::IAM::Policy')) as Array<{ Properties: any }>;
    const sends = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement.map((st: any) => ({ roles: p.Properties.Roles, st })))
      .filter(
        ({ st }) => [st.Action].flat().includes('sqs:SendMessage') && JSON.stringify(st.Resource).includes(queueId),
      );
    const roleOf = (fn: { role?: { node: { defaultChild?: unknown } } }) => ({
      Ref: ctx.stack.getLogicalId(fn.role!.node.defaultChild as never),
    });
    const { events, api } = ctx.stack;
    expect(sends.flatMap((s) => s.roles)).toEqual(
      expect.arrayContaining([
        roleOf(events.publisherFunction),
        roleOf(events.deliveryFunction),
        roleOf(api.functions.webhooks),
      ]),
    );
    expect(sends.flatMap((s) => s.roles)).toHaveLength(3);
    // The publisher's statement also names its own dead-letter queue; no statement names anything else.
    const deadId = ctx.stack.getLogicalId(events.deadLetterQueue.node.defaultChild as never);
    for (const { st } of sends) {
      for (const resource of [st.Resource].flat()) expect([queueId, deadId]).toContain(resource['Fn::GetAtt']?.[0]);
    }
  });

  it("keeps run history in bounds: an hourly sweep by the publisher, and container logs kept as long as a job's longest history", () => {
    const rules = Object.values(ctx.template.findResources('AWS::Events::Rule')) as Array<{ Properties: any }>;
    const sweeps = rules.filter((r) =>
      JSON.stringify(r.Properties.Targets).includes(id(ctx.stack.events.publisherFunction)),
    );
    expect(sweeps.map((r) => r.Properties.ScheduleExpression)).toEqual(['rate(1 hour)']);
    const logs = ctx.stack.getLogicalId(ctx.stack.runner.logGroup.node.defaultChild as never);
    expect((ctx.template.toJSON().Resources[logs] as any).Properties.RetentionInDays).toBe(3653);
    ctx.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  it('lets only the publisher put events, and only on the service bus', () => {
    const busId = ctx.stack.getLogicalId(ctx.stack.events.bus.node.defaultChild as never);
    const policies = Object.values(ctx.template.findResources('AWS::IAM::Policy')) as Array<{ Properties: any }>;
    const puts = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement.map((st: any) => ({ roles: p.Properties.Roles, st })))
      .filter(({ st }) => [st.Action].flat().includes('events:PutEvents'));
    expect(puts).toHaveLength(1);
    expect(puts[0]!.st.Resource).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    const roleId = ctx.stack.getLogicalId(ctx.stack.events.publisherFunction.role!.node.defaultChild as never);
    expect(puts[0]!.roles).toEqual([{ Ref: roleId }]);
  });
});

describe('the web console', () => {
  it('is a private bucket that only its CloudFront distribution reads, through origin access control', () => {
    const buckets = ctx.template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(1);
    const [bucketId, bucket] = Object.entries(buckets)[0] as [string, { Properties: any }];
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const [policy] = Object.values(ctx.template.findResources('AWS::S3::BucketPolicy')) as Array<{ Properties: any }>;
    const statements = policy!.Properties.PolicyDocument.Statement as any[];
    // TLS only, and reads by CloudFront for this distribution alone: no one else, no anonymous principal.
    expect(statements.find((st) => st.Effect === 'Deny').Condition).toEqual({
      Bool: { 'aws:SecureTransport': 'false' },
    });
    const allowed = statements.filter((st) => st.Effect === 'Allow');
    expect(allowed).toHaveLength(1);
    expect(allowed[0]).toMatchObject({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(JSON.stringify(allowed[0].Condition)).toContain('AWS:SourceArn');
    expect(JSON.stringify(policy!.Properties.Bucket)).toContain(bucketId);
    ctx.template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });

  it('is served over HTTPS only, with the security headers and CSP the local host sends', () => {
    const [distribution] = Object.values(ctx.template.findResources('AWS::CloudFront::Distribution')) as Array<{
      Properties: any;
    }>;
    expect(distribution!.Properties.DistributionConfig.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      AllowedMethods: ['GET', 'HEAD'],
    });
    expect(distribution!.Properties.DistributionConfig.DefaultRootObject).toBe('index.html');
    const [headers] = Object.values(ctx.template.findResources('AWS::CloudFront::ResponseHeadersPolicy')) as Array<{
      Properties: any;
    }>;
    const security = headers!.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(JSON.stringify(security.ContentSecurityPolicy.ContentSecurityPolicy)).toContain("script-src 'self'");
    expect(JSON.stringify(security.ContentSecurityPolicy.ContentSecurityPolicy)).not.toContain('unsafe');
    expect(security).toMatchObject({
      FrameOptions: { FrameOption: 'DENY' },
      ContentTypeOptions: { Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer' },
    });
    expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBe(31_536_000);
  });

  it("lets the HTTP API's CORS allow exactly the console's origin, never *", () => {
    const [api] = Object.values(ctx.template.findResources('AWS::ApiGatewayV2::Api')) as Array<{ Properties: any }>;
    const cors = api!.Properties.CorsConfiguration;
    expect(cors.AllowOrigins).toHaveLength(1);
    expect(JSON.stringify(cors.AllowOrigins)).not.toContain('*');
    const distributionId = Object.keys(ctx.template.findResources('AWS::CloudFront::Distribution'))[0];
    expect(cors.AllowOrigins[0]).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]],
    });
    expect(cors.AllowHeaders.sort()).toEqual(['authorization', 'content-type', 'idempotency-key', 'if-match']);
    // The console reads a job's ETag to send it back as If-Match.
    expect(cors.ExposeHeaders.sort()).toEqual(['etag', 'retry-after']);
  });
});
