// What fires scheduled jobs: an EventBridge Scheduler group holding one schedule per job (created by the jobs
// function as jobs change), the function each fire invokes, the role the scheduler assumes to invoke it (and
// nothing else), and a dead-letter queue for fires that could not be delivered.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { scheduleNames } from '../../functions/adapters/aws/scheduler.ts';
import { SETTINGS } from '../../functions/composition/functions.ts';
import { acknowledge, acknowledgeWildcard } from '../checks.ts';
import { serviceFunction } from './function.ts';
import type { Orchestration } from './orchestration.ts';
import type { Runner } from './runner.ts';
import type { Store } from './store.ts';

export interface SchedulingProps {
  store: Store;
  runner: Runner;
  orchestration: Orchestration;
}

export class Scheduling extends Construct {
  readonly group: ScheduleGroup;
  readonly triggerFunction: NodejsFunction;
  readonly schedulerRole: Role;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: SchedulingProps) {
    super(scope, id);
    this.group = new ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, 'SQS3', 'This queue is itself the dead-letter queue of the schedules');

    this.triggerFunction = serviceFunction(this, 'TriggerFunction', 'scheduled-trigger', props);

    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler invokes the scheduled-trigger function with this role, and nothing else',
    });
    // Schedules target the function's unqualified ARN; no version or alias needs to be callable.
    this.schedulerRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.triggerFunction.functionArn] }),
    );
    this.deadLetterQueue.grantSendMessages(this.schedulerRole);
  }

  /** For the function that creates, changes and deletes jobs: it manages their schedules in this group. */
  bindManager(fn: NodejsFunction): void {
    fn.addEnvironment(SETTINGS.scheduleGroup, this.group.scheduleGroupName);
    fn.addEnvironment(SETTINGS.schedulerTarget, this.triggerFunction.functionArn);
    fn.addEnvironment(SETTINGS.schedulerRole, this.schedulerRole.roleArn);
    fn.addEnvironment(SETTINGS.schedulerDeadLetters, this.deadLetterQueue.queueArn);
    const jobSchedules = Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.group.scheduleGroupName}/${scheduleNames('*').single}`,
    });
    acknowledgeWildcard(
      fn.role!,
      jobSchedules,
      "Schedules are created per job at run time (job-<job id>): only those, in this service's group",
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
        resources: [jobSchedules],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
  }
}
