// The jobs service as one stack: it only composes the constructs, each of which owns one concern.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api } from './constructs/api.ts';
import { Console } from './constructs/console.ts';
import { Events } from './constructs/events.ts';
import { Observability } from './constructs/observability.ts';
import { Orchestration } from './constructs/orchestration.ts';
import { Runner, type PrivateNetwork } from './constructs/runner.ts';
import { Scheduling } from './constructs/scheduling.ts';
import { Store } from './constructs/store.ts';
import type { LaunchRate } from '../functions/core/ports.ts';

export interface JobsStackProps extends StackProps {
  /** Receives the alarms by email when given. */
  alarmEmail?: string;
  /**
   * The IAM path of the roles jobs may run as (their workspaces' task_roles): the API may pass only roles under it
   * to ECS. Default `/jobs-tasks/`.
   */
  taskRolePath?: string;
  /**
   * Existing Secrets Manager secrets (ARN patterns) jobs may link: what the task execution role may read besides
   * the stack's own secrets. A workspace's linked_secret_arns choose among these. Default none.
   */
  linkedSecretArns?: string[];
  /**
   * An existing VPC's subnets and security groups for jobs with `network: private` (no public IP); without it, a
   * job cannot ask for `private`.
   */
  privateNetwork?: PrivateNetwork;
  /** How fast tasks may start: default Fargate's own, 20 a second in bursts of 100. */
  launchRate?: LaunchRate;
}

export class JobsStack extends Stack {
  readonly store: Store;
  readonly runner: Runner;
  readonly orchestration: Orchestration;
  readonly scheduling: Scheduling;
  readonly api: Api;
  readonly events: Events;
  readonly observability: Observability;
  readonly console: Console;

  constructor(scope: Construct, id: string, props: JobsStackProps = {}) {
    super(scope, id, props);
    this.store = new Store(this, 'Store');
    this.runner = new Runner(this, 'Runner', {
      taskRolePath: props.taskRolePath ?? '/jobs-tasks/',
      linkedSecretArns: props.linkedSecretArns ?? [],
      privateNetwork: props.privateNetwork,
      launchRate: props.launchRate,
    });
    this.orchestration = new Orchestration(this, 'Orchestration', { store: this.store, runner: this.runner });
    this.scheduling = new Scheduling(this, 'Scheduling', {
      store: this.store,
      runner: this.runner,
      orchestration: this.orchestration,
    });
    this.events = new Events(this, 'Events', {
      store: this.store,
      runner: this.runner,
      scheduling: this.scheduling,
      orchestration: this.orchestration,
    });
    this.console = new Console(this, 'Console');
    this.api = new Api(this, 'Api', {
      store: this.store,
      orchestration: this.orchestration,
      runner: this.runner,
      scheduling: this.scheduling,
      events: this.events,
      consoleOrigin: this.console.origin,
    });
    this.observability = new Observability(this, 'Observability', {
      api: this.api,
      orchestration: this.orchestration,
      scheduling: this.scheduling,
      events: this.events,
      alarmEmail: props.alarmEmail,
    });
    new CfnOutput(this, 'EventBusName', {
      value: this.events.bus.eventBusName,
      description: 'Run and schedule events (source jobs.service): route them with EventBridge rules',
    });
    new CfnOutput(this, 'AdminKeySecret', {
      value: this.store.adminKey.secretName,
      description: 'aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text',
    });
  }
}
