// What an operator watches: one CloudWatch dashboard (the API, every function, run executions, scheduled fires)
// and alarms on what needs a person, all notifying one SNS topic. Volume metrics (requests, executions started)
// are graphed but not alarmed: no threshold on them is right for every installation; their failure modes
// (5xx, throttled starts) are alarmed instead.
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { FIGURES_NAMESPACE, FIGURES_SERVICE } from '../../functions/adapters/aws/emf-figures.ts';
import { FIGURES } from '../../functions/core/service-metrics.ts';
import type { Api } from './api.ts';
import type { Events } from './events.ts';
import type { Orchestration } from './orchestration.ts';
import type { Scheduling } from './scheduling.ts';

export interface ObservabilityProps {
  api: Api;
  orchestration: Orchestration;
  scheduling: Scheduling;
  events: Events;
  /** Subscribed to the alarm topic when given (`cdk deploy -c alarmEmail=ops@example.com`). */
  alarmEmail?: string;
}

const PERIOD = Duration.minutes(5);
/** A function's p99 duration above this share of its timeout is one slow dependency away from timing out. */
const DURATION_ALARM_SHARE = 0.8;
/** 5xx answers in one period before anyone is paged: a single one is logged and graphed, a burst is an incident. */
const API_5XX_THRESHOLD = 5;

export class Observability extends Construct {
  readonly dashboard: Dashboard;
  readonly alarmTopic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { api, orchestration, scheduling } = props;
    const machine = orchestration.stateMachine;
    const functions = serviceFunctions(props);

    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: 'Jobs service alarms', enforceSSL: true });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    const serverErrors = api.httpApi.metricServerError({ period: PERIOD, statistic: 'Sum' });
    this.#alarm('ApiServerErrors', serverErrors, API_5XX_THRESHOLD, 'The API answered 5xx repeatedly');
    for (const [name, fn] of functions) {
      this.#alarm(
        `${name}Errors`,
        fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        1,
        `The ${name} function failed`,
      );
      this.#alarm(
        `${name}Throttles`,
        fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        1,
        `The ${name} function was throttled`,
      );
      const timeoutMs = (fn.timeout ?? Duration.seconds(3)).toMilliseconds();
      this.#alarm(
        `${name}Duration`,
        fn.metricDuration({ period: PERIOD, statistic: 'p99' }),
        Math.round(timeoutMs * DURATION_ALARM_SHARE),
        `The ${name} function's p99 duration neared its timeout`,
      );
    }
    // A run's container failing does not fail its execution (the run is settled failed); a failed execution
    // means the service could not settle a run.
    this.#alarm(
      'ExecutionsFailed',
      machine.metricFailed({ period: PERIOD, statistic: 'Sum' }),
      1,
      'A run execution failed: the service could not settle a run',
    );
    this.#alarm(
      'ExecutionsTimedOut',
      machine.metricTimedOut({ period: PERIOD, statistic: 'Sum' }),
      1,
      'A run execution timed out',
    );
    this.#alarm(
      'ExecutionsThrottled',
      machine.metricThrottled({ period: PERIOD, statistic: 'Sum' }),
      1,
      'Run executions could not start: Step Functions throttled them',
    );
    const deadLetters = scheduling.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: PERIOD,
      statistic: 'Maximum',
    });
    this.#alarm(
      'SchedulerDeadLetters',
      deadLetters,
      1,
      'A scheduled fire could not be delivered and waits in the dead-letter queue',
    );
    const eventDeadLetters = props.events.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: PERIOD,
      statistic: 'Maximum',
    });
    this.#alarm(
      'EventDeadLetters',
      eventDeadLetters,
      1,
      'Run events could not be put on the bus after every retry and wait in the dead-letter queue',
    );
    const deliveryDeadLetters = props.events.deliveryDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: PERIOD,
      statistic: 'Maximum',
    });
    this.#alarm(
      'DeliveryDeadLetters',
      deliveryDeadLetters,
      1,
      'Webhook delivery notices failed repeatedly and wait in the dead-letter queue (their deliveries stay pending for the sweep)',
    );

    // The service's own figures, printed by its functions in the embedded metric format (see emf-figures.ts).
    const figure = (metricName: string, statistic: string, label?: string, period = PERIOD) =>
      new Metric({
        namespace: FIGURES_NAMESPACE,
        metricName,
        dimensionsMap: { service: FIGURES_SERVICE },
        period,
        statistic,
        ...(label ? { label } : {}),
      });
    // A job's own alerts page nobody by themselves (its webhooks and rules do that); these say that some job, in
    // some project, needs a look.
    this.#alarm(
      'JobsFailing',
      figure(FIGURES.alerts['job.failing'], 'Sum'),
      1,
      'A job failed as many times in a row as its alerts.consecutive_failures (job.failing): see the Jobs Alert events',
    );
    this.#alarm(
      'SchedulesMissed',
      figure(FIGURES.alerts['schedule.missed'], 'Sum'),
      1,
      "A scheduled fire made no run within its job's alerts.missed_schedule_seconds (schedule.missed)",
    );

    const perFunction = (metric: (fn: NodejsFunction) => IMetric) =>
      functions.map(([name, fn]) => withLabel(metric(fn), name));
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new TextWidget({
        width: 24,
        height: 2,
        markdown:
          '**Jobs service.** A run is the Step Functions execution named by its run id; its ECS task carries the tag `jobs:run-id`; ' +
          'its output is the log stream `<job id>/job/<task id>` of the container log group.',
      }),
    );
    this.dashboard.addWidgets(
      graph('API requests', [api.httpApi.metricCount({ period: PERIOD, statistic: 'Sum', label: 'requests' })]),
      graph('API errors', [
        api.httpApi.metricClientError({ period: PERIOD, statistic: 'Sum', label: '4xx' }),
        withLabel(serverErrors, '5xx'),
      ]),
      graph('API latency', [
        api.httpApi.metricLatency({ period: PERIOD, statistic: 'p50', label: 'p50' }),
        api.httpApi.metricLatency({ period: PERIOD, statistic: 'p99', label: 'p99' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Function errors',
        perFunction((fn) => fn.metricErrors({ period: PERIOD, statistic: 'Sum' })),
      ),
      graph(
        'Function throttles',
        perFunction((fn) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum' })),
      ),
      graph(
        'Function duration p99',
        perFunction((fn) => fn.metricDuration({ period: PERIOD, statistic: 'p99' })),
      ),
    );
    this.dashboard.addWidgets(
      graph('Run executions', [
        machine.metricStarted({ period: PERIOD, statistic: 'Sum', label: 'started' }),
        machine.metricSucceeded({ period: PERIOD, statistic: 'Sum', label: 'succeeded' }),
        machine.metricFailed({ period: PERIOD, statistic: 'Sum', label: 'failed' }),
        machine.metricTimedOut({ period: PERIOD, statistic: 'Sum', label: 'timed out' }),
        machine.metricAborted({ period: PERIOD, statistic: 'Sum', label: 'stopped' }),
      ]),
      graph('Scheduled fires', [
        scheduling.group.metricAttempts({ period: PERIOD, statistic: 'Sum', label: 'attempts' }),
        scheduling.group.metricTargetErrors({ period: PERIOD, statistic: 'Sum', label: 'target errors' }),
        scheduling.group.metricDropped({ period: PERIOD, statistic: 'Sum', label: 'dropped' }),
        scheduling.group.metricSentToDLQ({ period: PERIOD, statistic: 'Sum', label: 'sent to the dead-letter queue' }),
      ]),
      new SingleValueWidget({
        title: 'Scheduler dead-letter queue depth',
        metrics: [withLabel(deadLetters, 'fires waiting')],
        width: 8,
        height: 6,
      }),
    );
    this.dashboard.addWidgets(
      graph('Runs finished', [
        figure(FIGURES.runs.succeeded, 'Sum', 'succeeded'),
        figure(FIGURES.runs.failed, 'Sum', 'failed'),
        figure(FIGURES.runs.cancelled, 'Sum', 'cancelled'),
      ]),
      graph('Run duration', [figure(FIGURES.duration, 'p50', 'p50'), figure(FIGURES.duration, 'p95', 'p95')]),
      graph('Waiting to start', [
        figure(FIGURES.wait, 'p95', 'queue wait p95'),
        figure(FIGURES.late, 'p95', 'schedule lateness p95'),
      ]),
    );
    const minute = Duration.minutes(1);
    this.dashboard.addWidgets(
      graph('Tasks now', [
        figure(FIGURES.tasks.running, 'Sum', 'running', minute),
        figure(FIGURES.tasks.pending, 'Sum', 'waiting', minute),
      ]),
      graph('Webhook deliveries', [
        figure(FIGURES.deliveries.succeeded, 'Sum', 'succeeded'),
        figure(FIGURES.deliveries.retrying, 'Sum', 'retrying'),
        figure(FIGURES.deliveries.failed, 'Sum', 'failed'),
      ]),
      graph(
        'Job alerts',
        Object.entries(FIGURES.alerts).map(([event, name]) => figure(name, 'Sum', event)),
      ),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }));

    const region = Stack.of(this).region;
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`,
      description: 'The CloudWatch dashboard of the service',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarmTopic.topicArn,
      description: 'Subscribe to this topic to receive the alarms',
    });
  }

  #alarm(id: string, metric: IMetric, threshold: number, description: string): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened: no requests, no runs, no fires.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }
}

/** Every function of the service, by a short name an operator recognises. */
function serviceFunctions({
  api,
  orchestration,
  scheduling,
  events,
}: ObservabilityProps): Array<[string, NodejsFunction]> {
  return [
    ...Object.entries(api.functions).map(([group, fn]): [string, NodejsFunction] => [
      `${group[0]!.toUpperCase()}${group.slice(1)}Api`,
      fn,
    ]),
    ['RunState', orchestration.runStateFunction],
    ['EcsEvents', orchestration.ecsEventsFunction],
    ['Reconciler', orchestration.reconcilerFunction],
    ['ScheduledTrigger', scheduling.triggerFunction],
    ['EventPublisher', events.publisherFunction],
    ['Deliveries', events.deliveryFunction],
  ];
}

function withLabel(metric: IMetric, label: string): IMetric {
  return (metric as Metric).with({ label });
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 8, height: 6 });
}
