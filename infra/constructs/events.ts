// Run events leave the table by its stream: the publisher function reads each new event item (the outbox the
// run store writes in the same transaction as the change), puts it on the service's EventBridge bus and makes
// its webhook deliveries. A batch a sink refused part of is retried from the refused record on; after the
// retries its records wait in a dead-letter queue (an alarm watches it), so an event is never silently lost.
//
// A delivery waits in the table; its notice waits in the deliveries queue, invisible until the delivery is due
// (SQS holds one back 15 minutes at most, so a longer wait is a chain of notices). The delivery function reads
// the queue and attempts what is due; a sweep every five minutes hands on again any delivery whose notice was
// lost. A notice that keeps failing ends in the queue's own dead-letter queue, which an alarm watches, while
// its delivery stays pending in the table for the sweep.
import { Duration } from 'aws-cdk-lib';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { key } from '../../functions/adapters/dynamodb/keys.ts';
import { FUNCTIONS, SETTINGS } from '../../functions/composition/functions.ts';
import { acknowledge } from '../checks.ts';
import { serviceFunction } from './function.ts';
import type { Providers } from './uses.ts';

/** Notices a delivery function failed on this many times go to the dead-letter queue. */
const DELIVERY_RECEIVES = 5;

export class Events extends Construct {
  readonly bus: EventBus;
  readonly publisherFunction: NodejsFunction;
  readonly deadLetterQueue: Queue;
  readonly deliveryQueue: Queue;
  readonly deliveryDeadLetterQueue: Queue;
  readonly deliveryFunction: NodejsFunction;

  constructor(scope: Construct, id: string, props: Omit<Providers, 'events'>) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', {
      description: 'Run and schedule events of the jobs service (source jobs.service)',
    });
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, 'SQS3', 'This queue is itself the dead-letter queue of the event publisher');

    this.deliveryDeadLetterQueue = new Queue(this, 'DeliveryDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deliveryDeadLetterQueue,
      'SQS3',
      'This queue is itself the dead-letter queue of the deliveries queue',
    );
    this.deliveryQueue = new Queue(this, 'Deliveries', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's advice for a queue it reads: six times the function's timeout.
      visibilityTimeout: Duration.seconds(6 * (FUNCTIONS.deliveries.timeoutSeconds ?? 29)),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deliveryDeadLetterQueue, maxReceiveCount: DELIVERY_RECEIVES },
    });
    this.deliveryFunction = serviceFunction(this, 'DeliveryFunction', 'deliveries', { ...props, events: this });
    this.deliveryFunction.addEventSource(
      new SqsEventSource(this.deliveryQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    new Rule(this, 'DeliverySweepRule', {
      description: 'Hands on again any webhook delivery overdue because its notice was lost',
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaTarget(this.deliveryFunction, { retryAttempts: 2 })],
    });

    const table = props.store.table;
    if (!table.tableStreamArn) throw new Error('the table has no stream');
    this.publisherFunction = serviceFunction(this, 'PublisherFunction', 'event-publisher', { ...props, events: this });
    this.publisherFunction.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        // Only new event items and audit entries: every other change of the table never wakes the function.
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { NewImage: { SK: { S: FilterRule.beginsWith(key.event('')) } } },
          }),
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { NewImage: { SK: { S: FilterRule.beginsWith(key.auditEntry('')) } } },
          }),
        ],
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(this.deadLetterQueue),
      }),
    );
    // The same function removes runs past their job's age limit (their TTL, a day later, is the backstop).
    new Rule(this, 'RetentionSweepRule', {
      description: "Removes runs past their job's history age limit",
      schedule: Schedule.rate(Duration.hours(1)),
      targets: [new LambdaTarget(this.publisherFunction, { retryAttempts: 2 })],
    });
  }

  /** Points a function at the deliveries queue and lets it send notices there, and nowhere else. */
  bindEnqueue(fn: LambdaFunction & IGrantable): void {
    fn.addEnvironment(SETTINGS.deliveryQueue, this.deliveryQueue.queueUrl);
    this.deliveryQueue.grantSendMessages(fn);
  }

  /** Points a function at the bus and lets it put events there, and nowhere else. */
  bindPut(fn: LambdaFunction & IGrantable): void {
    fn.addEnvironment(SETTINGS.eventBus, this.bus.eventBusName);
    this.bus.grantPutEventsTo(fn);
  }
}
