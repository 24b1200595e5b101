// Run events leave the table by its stream: the publisher function reads each new event item (the outbox the
// run store writes in the same transaction as the change) and puts it on the service's EventBridge bus. A batch
// a sink refused part of is retried from the refused record on; after the retries its records wait in a
// dead-letter queue (an alarm watches it), so an event is never silently lost.
import { Duration } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { key } from '../../functions/adapters/dynamodb/keys.ts';
import { SETTINGS } from '../../functions/composition/functions.ts';
import { acknowledge } from '../checks.ts';
import { serviceFunction } from './function.ts';
import type { Providers } from './uses.ts';

export class Events extends Construct {
  readonly bus: EventBus;
  readonly publisherFunction: NodejsFunction;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: Providers) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { description: 'Run and schedule events of the jobs service (source jobs.service)' });
    this.deadLetterQueue = new Queue(this, 'DeadLetters', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(this.deadLetterQueue, 'SQS3', 'This queue is itself the dead-letter queue of the event publisher');

    const table = props.store.table;
    if (!table.tableStreamArn) throw new Error('the table has no stream');
    this.publisherFunction = serviceFunction(this, 'PublisherFunction', 'event-publisher', { ...props, events: this });
    this.publisherFunction.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        // Only new event items: every other change of the table never wakes the function.
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT'), dynamodb: { NewImage: { SK: { S: FilterRule.beginsWith(key.event('')) } } } })],
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(this.deadLetterQueue),
      }),
    );
  }

  /** Points a function at the bus and lets it put events there, and nowhere else. */
  bindPut(fn: LambdaFunction & IGrantable): void {
    fn.addEnvironment(SETTINGS.eventBus, this.bus.eventBusName);
    this.bus.grantPutEventsTo(fn);
  }
}
