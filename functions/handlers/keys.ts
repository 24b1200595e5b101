// Lambda entry: the keys routes, composed from the AWS platform (only what the keys function declares).
import { awsPlatform } from '../adapters/aws/platform.ts';
import { httpHandler } from '../composition/http.ts';
import { composeServices } from '../composition/services.ts';

export const handler = await httpHandler('keys', composeServices(awsPlatform('keys')));
