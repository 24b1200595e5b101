// What drives runs: the state machine, deployed from the same run.asl.json the local host executes, the
// function behind its state-update Tasks, and the rules that move runs from outside (an ECS task started or
// stopped; an execution ended without settling its run; a periodic sweep for an end no event reported).
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SETTINGS } from '../../functions/composition/functions.ts';
import {
  ADMISSION_TIMEOUT_PATH,
  CONTAINER_TIMEOUT_PATH,
  runStateMachineText,
  type Placeholder,
} from '../../functions/orchestration/state-machine/definition.ts';
import { taskFamily } from '../../functions/orchestration/ecs-names.ts';
import { acknowledgeWildcard } from '../checks.ts';
import { serviceFunction } from './function.ts';
import { runStateMachineName, type Runner } from './runner.ts';
import type { Store } from './store.ts';

export interface OrchestrationProps {
  store: Store;
  runner: Runner;
}

export class Orchestration extends Construct {
  readonly stateMachine: StateMachine;
  readonly runStateFunction: NodejsFunction;
  readonly ecsEventsFunction: NodejsFunction;
  readonly reconcilerFunction: NodejsFunction;
  readonly #runner: Runner;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    const { runner } = props;
    this.#runner = runner;
    this.runStateFunction = serviceFunction(this, 'RunStateFunction', 'run-state', props);

    const substitutions: Record<Placeholder, string> = {
      RunStateFunctionArn: this.runStateFunction.functionArn,
      ClusterArn: runner.cluster.clusterArn,
      ContainerTimeoutPath: CONTAINER_TIMEOUT_PATH,
      AdmissionTimeoutPath: ADMISSION_TIMEOUT_PATH,
    };
    // Named, so its role can start its own child executions (the Map's tasks) without a reference cycle.
    const stateMachineName = runStateMachineName(this);
    this.stateMachine = new StateMachine(this, 'RunStateMachine', {
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(runStateMachineText()),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'ExecutionLogs', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        // Every state transition (without the data it carries): how an operator follows a run in Logs Insights.
        level: LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    // The definition invokes the function by its unqualified ARN; no version or alias needs to be callable.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.runStateFunction.functionArn] }),
    );
    acknowledgeWildcard(
      this.stateMachine,
      '*',
      'X-Ray tracing and the CloudWatch Logs log-delivery actions of execution logging have no resource-level permissions',
    );
    this.#grantRunTask(runner);
    this.#grantDistributedMap(stateMachineName);

    this.ecsEventsFunction = serviceFunction(this, 'EcsEventsFunction', 'ecs-events', props);
    new Rule(this, 'TaskStartedRule', {
      description: "A run's container really started",
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [runner.cluster.clusterArn],
          lastStatus: ['RUNNING', 'STOPPED'],
          group: [{ prefix: `family:${taskFamily('')}` }],
        },
      },
      targets: [new LambdaFunction(this.ecsEventsFunction, { retryAttempts: 10 })],
    });

    this.reconcilerFunction = serviceFunction(this, 'ReconcilerFunction', 'reconciler', {
      ...props,
      orchestration: this,
    });
    new Rule(this, 'ExecutionEndedRule', {
      description: 'A run execution failed, timed out or was stopped',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      targets: [new LambdaFunction(this.reconcilerFunction, { retryAttempts: 10 })],
    });
    // Admission decides for every workspace with a queue each minute, whatever else happens, and takes back the
    // slots of runs no longer active: what a lost event or a failed invocation left is set right within a minute.
    new Rule(this, 'AdmissionTickRule', {
      description: 'Admission decides for every queue, and takes back stale slots',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [
        new LambdaFunction(this.runStateFunction, {
          event: RuleTargetInput.fromObject({ action: 'admission_tick' }),
          retryAttempts: 2,
        }),
      ],
    });
    // Slow runs and missed fires are about time passing: no write tells them, a sweep each minute does.
    new Rule(this, 'AlertSweepRule', {
      description: 'Tells run.slow and schedule.missed (a fire EventBridge Scheduler did not deliver)',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [
        new LambdaFunction(this.reconcilerFunction, {
          event: RuleTargetInput.fromObject({ action: 'alert_sweep' }),
          retryAttempts: 2,
        }),
      ],
    });
    new Rule(this, 'ReconcileSweepRule', {
      description: 'Settles any run whose execution ended without an event saying so',
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaFunction(this.reconcilerFunction, { retryAttempts: 2 })],
    });
  }

  /** What ecs:runTask.sync needs: run job task definitions, stop and describe tasks, its managed rule, the two roles. */
  #grantRunTask(runner: Runner): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    const jobFamilies = stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: taskFamily('*') });
    const clusterTasks = stack.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${runner.cluster.clusterName}/*`,
    });
    acknowledgeWildcard(
      this.stateMachine,
      clusterTasks,
      "Task ids are assigned when a run starts: this is every task of this cluster, and no other cluster's",
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [jobFamilies],
        conditions: { ArnEquals: { 'ecs:cluster': runner.cluster.clusterArn } },
      }),
    );
    acknowledgeWildcard(
      this.stateMachine,
      jobFamilies,
      'Each job has its own task-definition family (job-<job id>), created at run time; RunTask is limited to this cluster',
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        // Task ARNs are not known in advance; both actions are limited to this cluster's tasks.
        actions: ['ecs:StopTask', 'ecs:DescribeTasks'],
        resources: [clusterTasks],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        // RunTask's Tags are applied to the new task.
        actions: ['ecs:TagResource'],
        resources: [clusterTasks],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        // The rule Step Functions manages to learn when a .sync ECS task stops.
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForECSTaskRule',
          }),
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['iam:PassRole'],
        resources: runner.passableRoles,
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    acknowledgeWildcard(role, runner.jobRoles, runner.jobRolesReason);
  }

  /** What the distributed Map needs: start each task's child execution of this state machine, and follow or stop it. */
  #grantDistributedMap(name: string): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    const children = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${name}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [children] }),
    );
    acknowledgeWildcard(
      this.stateMachine,
      children,
      "A task's child execution is named by the Map Run when it starts: this is every child execution of this state machine's Map, and no other",
    );
  }

  /**
   * Points a function at the state machine with exactly the calls it makes: start (trigger), stop (cancel,
   * replace, delete) and describe (the reconciler's sweep asks whether an execution still runs).
   */
  bind(fn: NodejsFunction, ...calls: Array<'start' | 'stop' | 'describe'>): void {
    fn.addEnvironment(SETTINGS.stateMachine, this.stateMachine.stateMachineArn);
    if (calls.includes('start')) {
      this.stateMachine.grantStartExecution(fn);
      this.#runner.bindTaskNetworks(fn);
    }
    const onExecutions = [
      ...(calls.includes('stop') ? ['states:StopExecution'] : []),
      ...(calls.includes('describe') ? ['states:DescribeExecution'] : []),
    ];
    if (onExecutions.length === 0) return;
    const executions = `${Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName: this.stateMachine.stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })}:*`;
    fn.addToRolePolicy(new PolicyStatement({ actions: onExecutions, resources: [executions] }));
    acknowledgeWildcard(
      fn.role!,
      executions,
      'Executions are named by run id when runs start: this is every execution of the run state machine, and no other',
    );
  }
}
