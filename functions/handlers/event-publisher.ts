// Lambda entry: the table's stream → each new event on the EventBridge bus, to the webhooks subscribed to it, and
// to the job's history limits; each new audit entry on the bus; and, on a schedule, the sweep of runs past their
// job's age limit.
import { awsPlatform } from '../adapters/aws/platform.ts';
import { eventStreamHandler, type StreamBatch } from '../adapters/aws/event-stream.ts';
import { EventBridgeSink } from '../adapters/aws/eventbridge-events.ts';
import { composeServices } from '../composition/services.ts';

const services = composeServices(awsPlatform('event-publisher'));
const bus = services.platform.eventSinks().find((sink) => sink instanceof EventBridgeSink);
const relay = eventStreamHandler(services.eventRelay(), bus);

export async function handler(input: StreamBatch | { 'detail-type': 'Scheduled Event' }) {
  if ('detail-type' in input) {
    const report = await services.retention().sweep();
    services.platform.logger.info('swept runs past their history limits', { ...report });
    return report;
  }
  return relay(input);
}
