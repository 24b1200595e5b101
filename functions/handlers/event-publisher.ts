// Lambda entry: the table's stream → each new event on the EventBridge bus.
import { awsPlatform } from '../adapters/aws/platform.ts';
import { eventStreamHandler } from '../adapters/aws/event-stream.ts';
import { composeServices } from '../composition/services.ts';

export const handler = eventStreamHandler(composeServices(awsPlatform('event-publisher')).eventRelay());
