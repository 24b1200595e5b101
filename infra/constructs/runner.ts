// Where containers run: a Fargate cluster (Container Insights on, for per-job metrics) in a VPC without NAT
// gateways (public subnets, a public IP per task, a security group that admits nothing), the roles tasks run
// with, and the log group their output goes to.
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { FlowLogDestination, FlowLogTrafficType, SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerInsights } from 'aws-cdk-lib/aws-ecs';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { taskFamily } from '../../functions/orchestration/ecs-names.ts';
import { SETTINGS } from '../../functions/composition/functions.ts';
import { acknowledgeWildcard } from '../checks.ts';
import { LIMITS } from '../../functions/core/job-spec.ts';
import { LINKED_ARN_PATTERN } from '../../functions/core/settings.ts';
import type { TaskNetwork, TaskNetworks } from '../../functions/orchestration/execution-input.ts';
import type { LaunchRate } from '../../functions/core/ports.ts';

/** Fargate's own launch rate (AWS docs): bursts of 100 tasks, then 20 a second. */
export const DEFAULT_LAUNCH_RATE: LaunchRate = { per_second: 20, burst: 100 };

/** The deployment's private network, checked for shape (it is named by id: synthesis looks nothing up). */
function privateTaskNetwork(config: PrivateNetwork): TaskNetwork {
  const valid =
    /^vpc-[0-9a-f]+$/.test(config.vpcId) &&
    config.subnetIds.length > 0 &&
    config.subnetIds.every((id) => /^subnet-[0-9a-f]+$/.test(id)) &&
    config.securityGroupIds.length > 0 &&
    config.securityGroupIds.every((id) => /^sg-[0-9a-f]+$/.test(id));
  if (!valid)
    throw new Error(
      'privateNetwork must be {"vpcId": "vpc-…", "subnetIds": ["subnet-…", …], "securityGroupIds": ["sg-…", …]}',
    );
  return { subnets: config.subnetIds, security_groups: config.securityGroupIds, assign_public_ip: 'DISABLED' };
}

/** The shortest log retention CloudWatch offers that covers a job's longest allowed history. */
function containerLogRetention(): RetentionDays {
  const days = Object.values(RetentionDays)
    .filter((d): d is number => typeof d === 'number' && d > 0)
    .sort((a, b) => a - b);
  return days.find((d) => d >= LIMITS.maxAgeDays.max) ?? RetentionDays.INFINITE;
}

/** The deployment's own network for `private` jobs: an existing VPC's subnets and security groups, by id. */
export interface PrivateNetwork {
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
}

export interface RunnerProps {
  taskRolePath: string;
  linkedSecretArns: string[];
  /** Without it, jobs cannot ask for `private`. */
  privateNetwork?: PrivateNetwork | undefined;
  /** How fast tasks may start (default Fargate's own: 20 a second, bursts of 100). */
  launchRate?: LaunchRate | undefined;
}

/** The run state machine's name: fixed, so what answers its task tokens is granted it without a reference cycle. */
export function runStateMachineName(scope: Construct): string {
  return `${Stack.of(scope).stackName}-runs`;
}

export class Runner extends Construct {
  readonly vpc: Vpc;
  readonly cluster: Cluster;
  readonly securityGroup: SecurityGroup;
  /** What ECS uses to pull the image and write logs. */
  readonly executionRole: Role;
  /** What the job's own code may do in AWS (nothing, until an operator grants it more). */
  readonly taskRole: Role;
  readonly logGroup: LogGroup;
  /** The name prefix of the secrets the API stores (<prefix>/<workspace>/<project>/<name>): the only ones it touches. */
  readonly secretPrefix: string;
  /** Every secret under the prefix, whatever suffix Secrets Manager gives its ARN. */
  readonly secretArns: string;

  /** Roles under this IAM path may be passed to ECS as a job's task_role. */
  readonly taskRolePath: string;
  /** Every role under the task role path: a job's own task_role is one of these. */
  readonly jobRoles: string;
  readonly jobRolesReason =
    "Jobs run as the roles their workspace's settings list, all under the deployment's task role path";
  /** Where each job network puts a task's network interface (JOBS_TASK_NETWORKS). */
  readonly taskNetworks: TaskNetworks;
  /** How fast admission lets tasks start (JOBS_LAUNCH_RATE). */
  readonly launchRate: LaunchRate;

  constructor(scope: Construct, id: string, props: RunnerProps) {
    super(scope, id);
    if (!/^\/([\w+=,.@-]+\/)*$/.test(props.taskRolePath))
      throw new Error(`taskRolePath must be an IAM path such as /jobs-tasks/, not ${props.taskRolePath}`);
    this.taskRolePath = props.taskRolePath;
    this.launchRate = props.launchRate ?? DEFAULT_LAUNCH_RATE;
    if (!(this.launchRate.per_second > 0 && this.launchRate.burst >= 1))
      throw new Error(`launchRate must be {per_second > 0, burst >= 1}, not ${JSON.stringify(this.launchRate)}`);
    this.jobRoles = Stack.of(this).formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `${this.taskRolePath.slice(1)}*`,
    });
    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 22 }],
    });
    // Rejected traffic only: what an investigation needs (something probing the tasks), at a fraction of the cost.
    this.vpc.addFlowLog('RejectedTraffic', {
      trafficType: FlowLogTrafficType.REJECT,
      destination: FlowLogDestination.toCloudWatchLogs(
        new LogGroup(this, 'FlowLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
      ),
    });
    this.cluster = new Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ContainerInsights.ENABLED });
    this.securityGroup = new SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: this.vpc,
      description: 'Job containers: no inbound traffic, outbound to pull images and reach the internet',
      allowAllOutbound: true,
    });
    // `none`: an interface with no way out (no public IP, no egress rule).
    const isolated = new SecurityGroup(this, 'NoNetworkSecurityGroup', {
      vpc: this.vpc,
      description: 'Job containers of network none: no inbound and no outbound traffic',
      allowAllOutbound: false,
    });
    const publicSubnets = this.vpc.publicSubnets.map((subnet) => subnet.subnetId);
    this.taskNetworks = {
      public: {
        subnets: publicSubnets,
        security_groups: [this.securityGroup.securityGroupId],
        assign_public_ip: 'ENABLED',
      },
      none: { subnets: publicSubnets, security_groups: [isolated.securityGroupId], assign_public_ip: 'DISABLED' },
      ...(props.privateNetwork ? { private: privateTaskNetwork(props.privateNetwork) } : {}),
    };
    this.executionRole = new Role(this, 'TaskExecutionRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'ECS pulls job images and writes their logs with this role',
    });
    this.taskRole = new Role(this, 'TaskRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: "The identity of a job's own code; it has no permissions of its own",
    });
    // Kept as long as the longest history a job may ask for (max_age_days ≤ 3650): a run's logs outlive it at most
    // by the group's retention; once the run is removed, they are no longer served.
    this.logGroup = new LogGroup(this, 'ContainerLogs', {
      retention: containerLogRetention(),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.#grantImagePullAndLogs();
    this.secretPrefix = `${Stack.of(this).stackName}/secrets`;
    this.secretArns = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${this.secretPrefix}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // ECS reads a job's secrets with the execution role as its task starts: only those under the prefix, and the
    // existing secrets the deployment lets projects link.
    for (const pattern of props.linkedSecretArns)
      if (!LINKED_ARN_PATTERN.test(pattern) || pattern.endsWith(':secret:*'))
        throw new Error(`linkedSecretArns: ${pattern} is not a Secrets Manager ARN pattern narrower than every secret`);
    this.executionRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.secretArns, ...props.linkedSecretArns],
      }),
    );
    for (const pattern of props.linkedSecretArns.filter((p) => p.includes('*')))
      acknowledgeWildcard(this.executionRole, pattern, 'Existing secrets the deployment lets projects link');
    acknowledgeWildcard(
      this.executionRole,
      this.secretArns,
      "Projects' secrets are made at run time under the stack's prefix; nothing outside it",
    );
  }

  /** The secrets function writes values under the prefix; the logs function reads them to mask served output. */
  /** Admission: answers the run state machine's waiting attempts, no faster than the launch rate. */
  bindAdmission(fn: LambdaFunction): void {
    fn.addEnvironment(SETTINGS.launchRate, JSON.stringify(this.launchRate));
    const stateMachine = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: runStateMachineName(this),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [stateMachine] }),
    );
  }

  bindSecretValues(fn: LambdaFunction, ...access: Array<'read' | 'write'>): void {
    fn.addEnvironment(SETTINGS.secretPrefix, this.secretPrefix);
    const actions = [
      ...(access.includes('read') ? ['secretsmanager:GetSecretValue'] : []),
      ...(access.includes('write')
        ? [
            'secretsmanager:CreateSecret',
            'secretsmanager:PutSecretValue',
            'secretsmanager:DeleteSecret',
            'secretsmanager:TagResource',
          ]
        : []),
    ];
    fn.addToRolePolicy(new PolicyStatement({ actions, resources: [this.secretArns] }));
    acknowledgeWildcard(
      fn.role!,
      this.secretArns,
      "Projects' secrets are made at run time under the stack's prefix; nothing outside it",
    );
  }

  /**
   * What AmazonECSTaskExecutionRolePolicy gives, narrowed: images from this account's registries (public images
   * need no permission) and log writes to the container log group only.
   */
  #grantImagePullAndLogs(): void {
    const repositories = Stack.of(this).formatArn({
      service: 'ecr',
      region: '*',
      resource: 'repository',
      resourceName: '*',
    });
    this.executionRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
    );
    this.executionRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        resources: [repositories],
      }),
    );
    this.logGroup.grantWrite(this.executionRole);
    acknowledgeWildcard(this.executionRole, '*', 'ecr:GetAuthorizationToken has no resource-level permissions');
    acknowledgeWildcard(
      this.executionRole,
      repositories,
      "A job names its image at run time: any repository of this account's registries, in any region",
    );
  }

  /** Points a function at the container logs: reading lines, or deleting a job's streams. */
  bindLogs(fn: LambdaFunction, ...access: Array<'read' | 'delete' | 'write'>): void {
    fn.addEnvironment(SETTINGS.containerLogGroup, this.logGroup.logGroupName);
    if (access.includes('read')) this.logGroup.grant(fn, 'logs:FilterLogEvents', 'logs:GetLogEvents');
    // A line of the service's own in a task's stream (what it says of the run's output): any stream of the group.
    if (access.includes('write')) {
      const streams = Stack.of(this).formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: `${this.logGroup.logGroupName}:log-stream:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      fn.addToRolePolicy(new PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [streams] }));
      acknowledgeWildcard(fn.role!, streams, "A run's task streams are named by ECS as tasks start");
    }
    if (access.includes('delete')) this.logGroup.grant(fn, 'logs:DescribeLogStreams', 'logs:DeleteLogStream');
  }

  /** For the function that creates and changes jobs: it registers each job's task-definition family. */
  bindTaskDefinitions(fn: LambdaFunction): void {
    const stack = Stack.of(this);
    fn.addEnvironment(SETTINGS.taskExecutionRole, this.executionRole.roleArn);
    fn.addEnvironment(SETTINGS.taskRole, this.taskRole.roleArn);
    // A task definition names the log group its container writes to.
    fn.addEnvironment(SETTINGS.containerLogGroup, this.logGroup.logGroupName);
    // RegisterTaskDefinition has no resource-level permission: ECS requires "*" here.
    fn.addToRolePolicy(new PolicyStatement({ actions: ['ecs:RegisterTaskDefinition'], resources: ['*'] }));
    acknowledgeWildcard(fn.role!, '*', 'ecs:RegisterTaskDefinition has no resource-level permissions');
    const jobFamilies = stack.formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: `${taskFamily('*')}:*`,
    });
    fn.addToRolePolicy(
      new PolicyStatement({
        // The tags a registration carries; only on job families, only while registering.
        actions: ['ecs:TagResource'],
        resources: [jobFamilies],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      }),
    );
    acknowledgeWildcard(
      fn.role!,
      jobFamilies,
      'Families are created per job at run time (job-<job id>); tagging is further limited to registration',
    );
    // A job's own task_role: only roles under the deployment's role path, and only to ECS tasks.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: this.passableRoles,
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    acknowledgeWildcard(fn.role!, this.jobRoles, this.jobRolesReason);
    // A job is refused a network the deployment does not offer.
    this.bindTaskNetworks(fn);
  }

  /** The roles ECS may be given for a job's tasks: the stack's two, and those under the task role path. */
  get passableRoles(): string[] {
    return [this.executionRole.roleArn, this.taskRole.roleArn, this.jobRoles];
  }

  /** Points a function at the cluster's Container Insights metrics. */
  bindMetrics(fn: LambdaFunction): void {
    fn.addEnvironment(SETTINGS.cluster, this.cluster.clusterName);
    fn.addToRolePolicy(
      // GetMetricData has no resource-level permissions: CloudWatch requires "*" here.
      new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    );
    acknowledgeWildcard(fn.role!, '*', 'cloudwatch:GetMetricData has no resource-level permissions');
  }

  /** Tells a function where each job network puts a task (the subnets and security groups are the stack's tokens). */
  bindTaskNetworks(fn: LambdaFunction): void {
    fn.addEnvironment(SETTINGS.taskNetworks, Stack.of(this).toJsonString(this.taskNetworks));
  }
}
