// The delivery function's two inputs: messages of the deliveries queue (each a delivery to attempt if it is due,
// or to send on if not yet), and the sweep on a schedule that hands on again any delivery overdue because its
// message was lost. A message that fails is reported as a batch item failure, so SQS offers it again.
import type { Deliverer } from '../../core/delivery-service.ts';
import type { Logger } from '../../logger.ts';
import { deliveryRefOf } from './sqs-delivery-queue.ts';

/** What Lambda hands a function of an SQS queue (the fields read here). */
export interface QueueBatch {
  Records: Array<{ messageId: string; body: string }>;
}

export interface DeliverySweep {
  'detail-type': 'Scheduled Event';
}

export function deliveryMessagesHandler(deliverer: Deliverer, logger: Logger) {
  return async (input: QueueBatch | DeliverySweep) => {
    if ('detail-type' in input) {
      const handedOn = await deliverer.sweep();
      logger.info('swept overdue webhook deliveries', { handed_on: handedOn });
      return { handed_on: handedOn };
    }
    const failures: Array<{ itemIdentifier: string }> = [];
    await Promise.all(
      input.Records.map(async (record) => {
        const ref = deliveryRefOf(record.body);
        if (!ref) return logger.warn('not a delivery message; dropped', { message_id: record.messageId });
        try {
          const delivery = await deliverer.attemptIfDue(ref);
          if (delivery) logger.info('webhook delivery', { delivery });
        } catch (error) {
          logger.warn('could not attempt a webhook delivery; its message is offered again', {
            ...ref,
            error: error as Error,
          });
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  };
}
