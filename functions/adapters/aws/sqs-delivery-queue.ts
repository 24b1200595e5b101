// The DeliveryQueue in AWS: each pending delivery becomes a message of the deliveries queue that stays invisible
// until the delivery is due. SQS holds a message back 15 minutes at most, so a longer wait (the retry schedule
// reaches 24 h) is a chain of such messages: the delivery function, handed one early, sends it on again. The
// table stays the truth; a message lost is found by the sweep of overdue deliveries.
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryRef, DueDelivery } from '../../core/deliveries.ts';
import type { DeliveryQueue } from '../../core/ports.ts';
import { LazySdk } from './lazy-sdk.ts';

const loadSqs = () => import('@aws-sdk/client-sqs');
type Sqs = Awaited<ReturnType<typeof loadSqs>>;

/** SQS's longest message delay. */
export const MAX_DELAY_SECONDS = 900;
const ENTRIES_PER_CALL = 10;

/** The seconds a message of a delivery due at `at` waits: until then, or the most SQS allows. */
export function delaySeconds(at: string, now: Date): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((Date.parse(at) - now.getTime()) / 1000)));
}

export class SqsDeliveryQueue implements DeliveryQueue {
  readonly #queueUrl: string;
  readonly #sqs: LazySdk<Sqs, SQSClient>;
  readonly #now: () => Date;

  constructor(options: { queueUrl: string; client?: SQSClient; now?: () => Date }) {
    this.#queueUrl = options.queueUrl;
    this.#sqs = new LazySdk(loadSqs, (sdk) => new sdk.SQSClient({}), options.client);
    this.#now = options.now ?? (() => new Date());
  }

  async enqueue(deliveries: DueDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    const { sdk, client } = await this.#sqs.get();
    const now = this.#now();
    for (let i = 0; i < deliveries.length; i += ENTRIES_PER_CALL) {
      const chunk = deliveries.slice(i, i + ENTRIES_PER_CALL);
      const output = await client.send(
        new sdk.SendMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: chunk.map(({ at, ...ref }, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(ref),
            DelaySeconds: delaySeconds(at, now),
          })),
        }),
      );
      const failed = output.Failed ?? [];
      if (failed.length > 0)
        throw new Error(
          `the deliveries queue refused ${failed.length} of ${chunk.length} messages: ${failed[0]!.Code} ${failed[0]!.Message ?? ''}`.trim(),
        );
    }
  }
}

/** A message of the deliveries queue: which delivery to look at. */
export function deliveryRefOf(body: string): DeliveryRef | null {
  try {
    const ref = JSON.parse(body) as Partial<DeliveryRef>;
    const fields = [ref.workspace_id, ref.project_id, ref.webhook_id, ref.delivery_id];
    return fields.every((field) => typeof field === 'string' && field.length > 0) ? (ref as DeliveryRef) : null;
  } catch {
    return null;
  }
}
