// Lambda entry: webhook deliveries, from the deliveries queue, and the sweep for overdue ones.
import { awsPlatform } from '../adapters/aws/platform.ts';
import { deliveryMessagesHandler } from '../adapters/aws/delivery-messages.ts';
import { composeServices } from '../composition/services.ts';

const services = composeServices(awsPlatform('deliveries'));
export const handler = deliveryMessagesHandler(services.deliverer(), services.platform.logger);
