// Lambda entry: the webhook routes.
import { awsPlatform } from '../adapters/aws/platform.ts';
import { httpHandler } from '../composition/http.ts';
import { composeServices } from '../composition/services.ts';

export const handler = await httpHandler('webhooks', composeServices(awsPlatform('webhooks')));
